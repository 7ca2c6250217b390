/**
 * Doing words: an objective with one acts, and may break a constraint said in words no rule knows
 * (a read, a report or a summary cannot). Only ever a reason to ask the second stage, never to
 * reject, so a word here that is sometimes a noun ("order", "post") costs a cheap call at most.
 */
export const DOING_WORDS =
  /\b(add|alter|announce|backfill|bounce|buy|change|contact|correct|create|decommission|delete|deploy|disable|drain|drop|edit|email|erase|fix|import|install|integrate|introduce|kill|load|message|migrate|modify|move|notify|populate|publish|pull|purchase|purge|reboot|recycle|release|remove|rename|replace|restart|rewrite|roll|send|ship|shut|stop|subscribe|switch|take|tear|truncate|turn off|update|upgrade|wipe|write)\w*\b|\b(use[sd]?|using|order(ed|ing)?|post(s|ed|ing)?)\b/i;
