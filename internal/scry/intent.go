package scry

import "strings"

// Intent is what kind of answer a query asks for, read off its words by
// the general rules of IntentOf. Ranking prefers the kinds of file each
// intent asks for (see Ranking.Priors); it never drops any.
type Intent string

// Intents.
const (
	// IntentName: the query is one name (SearchLexical, os.path.join,
	// compare_digest): the place that declares it.
	IntentName Intent = "name"
	// IntentCode: a question about how something works or where it is
	// ("how does X work", "where is X", "which code handles X", "what
	// stops X"): the implementation, over its tests, docs and notes.
	IntentCode Intent = "code"
	// IntentUsage: a question about how to use something ("how do I
	// X", "how to X", "how can we X"): guides and examples answer it as
	// well as the code does.
	IntentUsage Intent = "usage"
	// IntentHistory: a question about why, when or by whom something
	// changed: commits and working notes, over the code as it is now.
	IntentHistory Intent = "history"
	// IntentGeneral: anything else, such as a few keywords or a commit
	// subject.
	IntentGeneral Intent = "general"
)

// Intents lists every intent, in the order tables show them.
var Intents = []Intent{IntentName, IntentCode, IntentUsage, IntentHistory, IntentGeneral}

func (i Intent) question() bool { return i == IntentCode || i == IntentUsage || i == IntentHistory }

// After "how", a modal and a person ask how to use something: "how do
// I", "how can we", "how should you" (and so does "how to").
var (
	usageModals  = set("do", "can", "could", "should", "would", "might", "may")
	usagePersons = set("i", "we", "you", "one")
)

// questionWords open a question about the code as it is.
var questionWords = set("how", "where", "which", "what", "whats", "when", "who", "does", "do", "is", "are", "can", "find", "show", "explain", "describe")

// historyWords, anywhere in a question, ask about its history.
var historyWords = set("history", "historically", "changelog", "rationale", "reason", "reasons",
	"decided", "introduced", "reverted", "motivated", "motivation", "originally")

// pastAux are auxiliaries of the past; pastChanges are changes in the
// past tense, baseChanges the same verbs' base forms.
var (
	pastAux     = set("did", "was", "were", "had", "wasn", "weren", "didn")
	pastChanges = set("changed", "added", "removed", "dropped", "deleted", "renamed", "fixed", "introduced",
		"replaced", "moved", "rewritten", "rewrote", "switched", "broke", "broken", "wrote", "written", "made", "chose", "chosen")
	baseChanges = set("change", "add", "remove", "drop", "delete", "rename", "fix", "introduce", "replace",
		"move", "rewrite", "switch", "break", "write", "make", "choose", "decide")
)

// IntentOf reads a query's intent from its text and lower-cased words:
//
//   - one whitespace-free word is a name (LooksLikeIdentifier);
//   - a query opening with why asks about history; so does one holding a
//     word about the past (history, reason, decided, introduced, reverted,
//     …), a past auxiliary (did, was, were, had) with a change ("when did
//     we add …", "was the cache changed"), or a change in the past tense
//     after when, who or commit ("who wrote …", "which commit fixed …");
//   - "how do I …", "how can we …", "how to …" (a modal and a person, or
//     "to", after how) asks how to use something;
//   - any other question (opening with how, where, which, what, does, is,
//     can, find, show, explain, …) asks about the code as it is;
//   - everything else is general.
func IntentOf(text string, words []string) Intent {
	if LooksLikeIdentifier(text) {
		return IntentName
	}
	if len(words) == 0 {
		return IntentGeneral
	}
	if words[0] == "why" {
		return IntentHistory
	}
	aux, asked := false, false // a past auxiliary; when, who or commit
	for _, w := range words {
		switch {
		case historyWords[w]:
			return IntentHistory
		case pastAux[w]:
			aux = true
		case w == "when" || w == "who" || w == "commit" || w == "commits":
			asked = true
		case pastChanges[w] && (aux || asked), baseChanges[w] && aux:
			return IntentHistory
		}
	}
	if words[0] == "how" && len(words) > 1 &&
		(words[1] == "to" || len(words) > 2 && usageModals[words[1]] && usagePersons[words[2]]) {
		return IntentUsage
	}
	if questionWords[words[0]] || strings.HasSuffix(strings.TrimSpace(text), "?") {
		return IntentCode
	}
	return IntentGeneral
}

// stopwords are English function words: they carry no topic, match nearly
// every chunk, and are neither searched nor highlighted. (A query of
// nothing but stopwords is searched as it is.)
var stopwords = set(
	"a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "on", "at", "by", "for", "with", "from", "into",
	"onto", "over", "under", "about", "as", "than", "then", "so", "if", "else", "via", "per", "up", "out", "off",
	"is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "doing", "done", "has", "have",
	"had", "having", "can", "could", "will", "would", "shall", "should", "may", "might", "must",
	"i", "me", "my", "mine", "we", "us", "our", "ours", "you", "your", "yours", "he", "him", "his", "she", "her",
	"it", "its", "they", "them", "their", "theirs", "this", "that", "these", "those", "there", "here",
	"what", "whats", "which", "who", "whom", "whose", "where", "when", "why", "how",
	"all", "any", "some", "each", "every", "such", "own", "same", "other", "another", "both", "either", "neither",
	"not", "no", "only", "also", "just", "very", "too", "again", "ever", "still", "yet", "s", "t",
	"let", "lets", "way", "ways", "thing", "things", "something",
)

// scaffold words frame a question about code ("where is X implemented",
// "how does X work", "which function handles X") without saying what it
// is about; in a question they are dropped like stopwords.
var scaffold = set("implemented", "implement", "implements", "implementation", "implementing", "defined",
	"define", "defines", "definition", "located", "locate", "work", "works", "working", "happen", "happens",
	"happening", "handled", "codebase", "logic",
	"responsible", "decide", "decides", "decided", "place", "part", "piece", "exactly", "actually", "done",
	"need", "needs", "want", "wants", "use", "used", "uses", "using", "somewhere", "anywhere", "find", "show",
	"tell", "explain", "describe", "please")

// IsStopword reports whether a lower-cased word is a stopword.
func IsStopword(w string) bool { return stopwords[w] }

func isScaffold(w string) bool { return scaffold[w] }

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
