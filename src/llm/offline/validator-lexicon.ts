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
    // "change" as a verb with its object ("change the due dates"), not the noun ("after last week's settings change").
    acts: /\b(insert|update|upsert|delete|drop|truncate|write (to|into)|alter|migrat|backfill|modif|chang(e|es|ing) (the|a|an|its|their|all|every|each|any|this|these|those|our|your|how|what)\b|edit|correct|overwrit|purg|import|populat|renam|reindex|rebuild|regenerat|reset|rotat|grant|revok|bulk[- ]load|add (a |an |new |the )?(\w+ ){0,2}(column|row|record|index|field|constraint|key|trigger)s?|set (the )?\w+ (column|field|flag)|fix (the )?(amounts|records|rows|balances|totals|entries))\w*/i,
    forbids: /\b(no writes?|read[- ]only|(write|data|schema) freeze|frozen|no (\w+ ){0,2}(changes|modifications)|untouched|(don't|do not|must not|never) (touch|modify|change|alter|write|edit)|hands off|leave [^.]* as (it )?is|not be (altered|changed|modified|written))\b/i,
  },
  {
    name: 'downtime',
    // Downtime as a topic ("a reading list on zero-downtime migrations") is not downtime asked for: the nouns count only after a verb that brings them about.
    acts: /\b((take|taking|put|go(ing)?|bring|set)\b[^.]{0,40}\boffline|(schedule|plan|cause|book|announce|need|require|accept|take)\w*\b[^.]{0,30}\b(downtime|an outage|a maintenance window)|(make|leave|render)\w*\b[^.]{0,30}\bunavailable|shut ?(it |them )?down|restart|reboot|bounce|recycle|redeploy|decommission|tear [^.]{0,40}\bdown|turn [^.]{0,40}\boff|switch [^.]{0,40}\boff|during the maintenance window|power (off|down|cycle)|cut ?over|fail ?over|take [^.]{0,40}\b(down|offline)|bring [^.]{0,40}\bdown|scale\b[^.]{0,40}\b(to|down to) (zero|0)\b|(stop|halt|kill|drain)\b[^.]{0,30}\b(services?|servers?|cluster|database|pods?|instances?|nodes?|brokers?|workers?|containers?|vms?|machines?|hosts?)|pause (all )?(traffic|requests))\b/i,
    forbids: /\b(no downtime|zero downtime|without downtime|stay (up|online|available|reachable)|remain (up|online|available|reachable)|always (up|on|online|available)|no outages?|uninterrupted|without (any )?interruption|no interruptions?|(must|should) be available|((may|must|should|can) ?not|cannot|can't) (be )?(interrupted|go down|go offline|be down|be unavailable|be stopped)|100 ?% (uptime|available)|24 ?\/ ?7|keep [^.]{0,40}\b(running|up|online|available|serving))\b/i,
  },
  {
    name: 'new dependency',
    acts: /\b(npm install|pip install|yarn add|cargo add|(use|using) (the )?[a-z][\w.-]* (library |package )?(to|for) |(add|install|introduce|bring in|pull in|adopt|switch to)\b(?:[^.]|\.(?=\w)){0,40}\b(library|librar(y|ies)|packages?|dependenc(y|ies)|modules?|framework|sdk|lib)|install(ing)? (the )?[a-z0-9@][\w@/.-]* (to|for|so|in|and)\b|(replace|swap)\w*\b[^.]{0,40}\bwith (the )?(?!standard\b|stdlib\b|built-?in\b)[\w@/.-]+ (library|package|module|framework|sdk|crate|gem))/i,
    forbids: /\b(no new (dependenc|librar|package|module)|no (new )?third[- ]party|standard library only|stdlib only|only (\w+'s |the )?standard library|no extra (packages|libraries)|dependency freeze|(keep|leave) (the )?dependencies as they are|(do not|don't|never|must not|no) (add|install|introduce|pull in)\w* (any |new |extra |more )*(packages|librar|dependenc|modules))\w*/i,
  },
  {
    name: 'release',
    // Verbs only, at the start of a clause: "the 3.4.0 release" is a noun.
    acts: /(^|[.;,:]\s*|\b(and|then|to|please)\s+)(deploy|release|ship|roll ?out|roll\b[^.]{0,40}\bout (to|in|on)\b|push [^.]{0,20}\bto (prod|production)|go live|publish)\b/i,
    forbids: /\b(no (\w+ ){0,2}deploy\w*|no (production|prod|live) changes|change freeze|code freeze|release freeze|no (\w+ ){0,2}releases?|deploy(ment)? freeze|nothing ships|no roll ?outs?|(don't|do not|never) (deploy|release|ship))\b/i,
  },
  {
    name: 'customer contact',
    acts: /\b(email|e-mail|message|notify|contact|text|reach out to|send (a |an )?(newsletter|announcement|survey|notice))\b[^.]{0,60}\b(customers?|users?|clients?|subscribers?|merchants?)\b|\b(send|post|announce|mail)\b[^.]{0,40}\b(customers?|users?|clients?|subscribers?)\b[^.]{0,30}\b(emails?|e-mails?|messages?|notices?|letters?|newsletters?|sms)\b/i,
    forbids: /\b((do not|don't|no|never)\b[^.]{0,30}\b(contact|email|message|notify|reach out to)\w*[^.]{0,30}\b(customers?|users?|clients?|subscribers?|merchants?)|no (\w+ )?(customer|user|client|subscriber|merchant)s? (contact|communications?|emails?|e-mails?|messages?|notifications?|outreach))\b/i,
  },
  {
    name: 'spending',
    acts: /\b(buy|purchas|subscrib|upgrade (to |the )?(a )?(paid|pro|premium|enterprise)|upgrade\b[^.]{0,30}\b(plan|tier|subscription|licen[cs]e)s? to|paid (tier|plan)|order\b[^.]{0,20}\b(servers|hardware|machines|laptops|licen[cs]es|seats))\w*/i,
    forbids: /\b(no (new )?(spend|spending|purchases?|paid)|no money|zero budget|budget (is )?(frozen|freeze)|spending freeze|(do not|don't|never) (buy|purchase|pay)|free tools only)\b/i,
  },
  {
    name: 'deleting data',
    acts: /\b(delete|purge|wipe|erase|drop|truncate|remove (all |the |old )?(\w+ ){0,2}(records|rows|data|logs|backups|accounts|users|histor(y|ies)|files|messages))\b/i,
    forbids: /\b(keep (all|every)|retain (all|every)|never delete|(do not|don't|must not) delete|no deletions?|must be kept|preserve (all|every))\b/i,
  },
];

/** Words naming the same thing: a scope said one way matches a task that says it another. */
export const SYNONYMS: string[][] = [
  ['billing', 'payments', 'payment', 'invoicing', 'invoices', 'invoice', 'charges', 'ledger'],
  ['database', 'db', 'datastore', 'tables', 'table', 'postgres', 'postgresql', 'mysql', 'mongodb', 'collection', 'schema', 'records', 'rows'],
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
export const CONCRETE_NOUNS = /\b(api|endpoint|query|queries|index|table|column|function|method|class|module|test|tests|bug|regression|latency|p9\d|memory|cpu|error rate|readme|schema|migration|dashboard|report|invoice|csv|json|yaml|config|pipeline|job|cron|container|image|dockerfile|branch|commit|pull request|pr|ticket|incident|runbook|alert|metric|log|logs|certificate|dns|domain|bucket|queue|topic|cache|cluster|service|page|form|button|email template|changelog|release notes|benchmark|budget|contract|policy|spreadsheet|slide|chart|section|paragraph|summary|translation|loop|handler|worker|middleware|controller|client|library|package|script|file|helper|hook|component|route|webhook|retry|retries|transaction|payment|session|token|idempotency|concurrency|race condition|deadlock|timeout|pagination|authentication|authorization|encryption|refactoring)s?\b/gi;

export const VAGUE_MARKERS = /\b(stuff|things|somehow|etc|better|nicer|cleaner|whatever|something|everything|anything|general|overall|asap|in general|a bit|some work|the code|the app|the system|the project|our stuff|look into|work on|deal with|sort out|figure out)\b/gi;

/** Material pointed at, not carried. */
export const POINTS_AT_MATERIAL = /\b(attached|enclosed|attachment|uploaded|(i|we|you|they|she|he|[a-z]+) (sent|shared|uploaded|forwarded|pasted|posted|will send|will share)|(i|we)('ll| will) (send|share|provide)|once [^.]{1,60}\b(arrives?|is ready|is in|lands|comes in|gets here)|(below|above)\b[^.]*\b(data|list|table|log|figures))\b/i;
