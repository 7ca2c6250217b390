/**
 * The offline validator's own small lexicon: what counts as an action of a kind when a task asks
 * it, what counts as forbidding that kind when a constraint says it, which words name the same
 * thing, and what makes an objective concrete. Deliberately separate from the first-stage rules
 * (src/tasks/validation.ts): a second opinion that reads paraphrases the rules do not.
 */

export interface ActionKind {
  name: string;
  /** The objective does it. */
  acts: RegExp;
  /** The constraint forbids it. */
  forbids: RegExp;
}

export const ACTION_KINDS: ActionKind[] = [
  {
    name: 'writes',
    acts: /\b(insert|update|upsert|delete|drop|truncate|write (to|into)|alter|migrat|backfill|modif|chang|edit|correct|overwrit|purg|import|populat|renam|reindex|bulk[- ]load|add (a |an |new )?(column|row|record|index|field)s?|set (the )?\w+ (column|field|flag)|fix (the )?(amounts|records|rows|balances|totals|entries))\w*/i,
    forbids: /\b(no writes?|read[- ]only|(write|data|schema) freeze|frozen|no changes|no modifications|untouched|(don't|do not|must not|never) (touch|modify|change|alter|write|edit)|hands off|leave [^.]* as (it )?is|not be (altered|changed|modified|written))\b/i,
  },
  {
    name: 'downtime',
    acts: /\b(offline|downtime|outage|shut ?(it |them )?down|restart|reboot|maintenance window|power (off|cycle)|cut ?over|fail ?over|unavailable|take [^.]{0,40}\b(down|offline)|bring [^.]{0,40}\bdown|stop (the )?(service|server|cluster|database|pods?|instances?|nodes?)|pause (all )?(traffic|requests))\b/i,
    forbids: /\b(no downtime|zero downtime|without downtime|stay (up|online|available)|remain (up|online|available|reachable)|always (up|on|online|available)|no outages?|uninterrupted|without (any )?interruption|no interruptions?|must be available|100 ?% (uptime|available)|keep [^.]{0,40}\b(running|up|online|available|serving))\b/i,
  },
  {
    name: 'new dependency',
    acts: /\b(npm install|pip install|yarn add|cargo add|(add|install|introduce|bring in|pull in|adopt|switch to)\b[^.]{0,40}\b(library|package|dependency|module|framework|sdk|lib))\b/i,
    forbids: /\b(no new (dependenc|librar|package|module)|no (new )?third[- ]party|standard library only|stdlib only|only the standard library|no extra (packages|libraries)|dependency freeze|(keep|leave) (the )?dependencies as they are)\w*/i,
  },
  {
    name: 'release',
    // Verbs only, at the start of a clause: "the 3.4.0 release" is a noun.
    acts: /(^|[.;,:]\s*|\b(and|then|to|please)\s+)(deploy|release|ship|roll ?out|push [^.]{0,20}\bto (prod|production)|go live|publish)\b/i,
    forbids: /\b(no deploy\w*|code freeze|release freeze|no releases?|deploy(ment)? freeze|nothing ships|no roll ?outs?|(don't|do not|never) (deploy|release|ship))\b/i,
  },
  {
    name: 'customer contact',
    acts: /\b(email|e-mail|message|notify|contact|text|reach out to|send (a |an )?(newsletter|announcement|survey|notice))\b[^.]{0,60}\b(customers?|users?|clients?|subscribers?|merchants?)\b|\bsend\b[^.]{0,30}\b(customers?|users?|clients?|subscribers?)\b[^.]{0,30}\b(emails?|messages?|notices?|letters?|newsletters?)\b/i,
    forbids: /\b((do not|don't|no|never)\b[^.]{0,30}\b(contact|email|message|notify|reach out to)\w*[^.]{0,30}\b(customers?|users?|clients?|subscribers?|merchants?)|no customer (contact|communication|emails?|outreach))\b/i,
  },
  {
    name: 'spending',
    acts: /\b(buy|purchas|subscrib|upgrade (to |the )?(a )?(paid|pro|enterprise)|paid (tier|plan)|order (new )?(servers|hardware|licen[cs]es))\w*/i,
    forbids: /\b(no (new )?(spend|spending|purchases?|paid)|no money|zero budget|(do not|don't|never) (buy|purchase|pay)|free tools only)\b/i,
  },
  {
    name: 'deleting data',
    acts: /\b(delete|purge|wipe|erase|drop|remove (all |the |old )?(records|rows|data|logs|backups|accounts|users))\b/i,
    forbids: /\b(keep all|retain (all|every)|never delete|(do not|don't|must not) delete|no deletions?|must be kept|preserve (all|every))\b/i,
  },
];

/** Words naming the same thing: a scope said one way matches a task that says it another. */
export const SYNONYMS: string[][] = [
  ['billing', 'payments', 'payment', 'invoicing', 'invoices', 'invoice', 'charges', 'ledger'],
  ['database', 'db', 'datastore', 'tables', 'table', 'postgres', 'postgresql', 'mysql', 'schema', 'records', 'rows'],
  ['checkout', 'cart', 'purchase flow', 'payment page', 'order flow', 'basket'],
  ['production', 'prod', 'live'],
  ['customers', 'customer', 'users', 'user', 'clients', 'client', 'subscribers', 'merchants'],
  ['search', 'search index', 'search service', 'elasticsearch'],
  ['auth', 'login', 'authentication', 'sign-in', 'signin', 'sso'],
  ['website', 'site', 'web app', 'frontend', 'homepage', 'landing page'],
  ['api', 'gateway', 'endpoint', 'endpoints'],
  ['service', 'server', 'servers', 'cluster', 'instances', 'nodes', 'pods'],
];

/** Nouns that name a concrete thing to work on. */
export const CONCRETE_NOUNS = /\b(api|endpoint|query|queries|index|table|column|function|method|class|module|test|tests|bug|regression|latency|p9\d|memory|cpu|error rate|readme|schema|migration|dashboard|report|invoice|csv|json|yaml|config|pipeline|job|cron|container|image|dockerfile|branch|commit|pull request|pr|ticket|incident|runbook|alert|metric|log|logs|certificate|dns|domain|bucket|queue|topic|cache|cluster|service|page|form|button|email template|changelog|release notes|benchmark|budget|contract|policy|spreadsheet|slide|chart|section|paragraph|summary|translation)s?\b/gi;

export const VAGUE_MARKERS = /\b(stuff|things|somehow|etc|better|nicer|cleaner|whatever|something|everything|anything|general|overall|asap|in general|a bit|some work|the code|the app|the system|the project|our stuff|look into|work on|deal with|sort out|figure out)\b/gi;

/** Material pointed at, not carried. */
export const POINTS_AT_MATERIAL = /\b(attached|enclosed|attachment|uploaded|(i|we|you|they|she|he|[a-z]+) (sent|shared|uploaded|forwarded|pasted|posted|will send|will share)|(i|we)('ll| will) (send|share|provide)|once [^.]{1,60}\b(arrives?|is ready|is in|lands|comes in|gets here)|(below|above)\b[^.]*\b(data|list|table|log|figures))\b/i;
