package topics

import "strings"

// Match reports whether a message with the given topic reaches a subscriber
// of prefix. It is ZeroMQ's rule: the topic's bytes start with the prefix's
// bytes, nothing more (no wildcards, no word boundaries, no normalisation),
// and the empty prefix matches every topic. Because it compares bytes, a
// prefix that ends in the middle of a UTF-8 sequence still matches.
func Match(topic, prefix string) bool {
	return strings.HasPrefix(topic, prefix)
}

// MatchAny reports whether topic matches at least one of prefixes. With no
// prefixes it matches nothing, like a ZeroMQ SUB socket that has not
// subscribed; to receive everything, subscribe to "" (which is what the
// trackfeed CLI does when no prefix is given).
func MatchAny(topic string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(topic, p) {
			return true
		}
	}
	return false
}

// Set is one subscriber's subscriptions, with the multiset semantics of
// libzmq's subscription trie: each Add of a prefix needs its own Remove, so
// subscribing twice and unsubscribing once still matches. The zero value is an
// empty Set that matches nothing. A Set is not safe for concurrent use.
//
// Add, Remove and Len take constant time (one map operation). Match takes
// constant time when "" is subscribed; otherwise it tries whichever is
// smaller, the distinct prefixes or the prefixes of the topic, so a
// subscriber with many subscriptions costs at most one map lookup per byte of
// the topic.
type Set struct {
	all    int            // times "" has been added and not removed
	counts map[string]int // the other prefixes: times added and not removed
}

// Add subscribes to prefix once more. It reports whether prefix was not
// subscribed before, so that a caller forwarding subscriptions upstream sends
// each prefix only once.
func (s *Set) Add(prefix string) bool {
	if prefix == "" {
		s.all++
		return s.all == 1
	}
	if s.counts == nil {
		s.counts = make(map[string]int)
	}
	s.counts[prefix]++
	return s.counts[prefix] == 1
}

// Remove undoes one Add of prefix. It reports whether that was the last one,
// so that prefix no longer matches; removing a prefix that is not subscribed
// does nothing and reports false.
func (s *Set) Remove(prefix string) bool {
	if prefix == "" {
		if s.all == 0 {
			return false
		}
		s.all--
		return s.all == 0
	}
	n, ok := s.counts[prefix]
	if !ok {
		return false
	}
	if n == 1 {
		delete(s.counts, prefix)
		return true
	}
	s.counts[prefix] = n - 1
	return false
}

// Match reports whether topic matches any subscribed prefix, as Match
// defines it.
func (s *Set) Match(topic string) bool {
	if s.all > 0 {
		return true
	}
	if len(s.counts) <= len(topic) {
		for p := range s.counts {
			if strings.HasPrefix(topic, p) {
				return true
			}
		}
		return false
	}
	for i := 1; i <= len(topic); i++ {
		if _, ok := s.counts[topic[:i]]; ok {
			return true
		}
	}
	return false
}

// Prefixes returns the distinct prefixes subscribed, "" included, in no
// particular order: what a socket leaving cancels.
func (s *Set) Prefixes() []string {
	out := make([]string, 0, s.Len())
	if s.all > 0 {
		out = append(out, "")
	}
	for p := range s.counts {
		out = append(out, p)
	}
	return out
}

// Len returns the number of distinct prefixes subscribed, "" included;
// a prefix added twice counts once.
func (s *Set) Len() int {
	n := len(s.counts)
	if s.all > 0 {
		n++
	}
	return n
}
