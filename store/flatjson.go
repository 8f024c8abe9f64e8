package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/partybot/partybot/bot"
)

// Summaries decode a member record and a week of study reports for every
// member of the org, and encoding/json's reflection was most of that work.
// Records are written by json.Marshal, so almost all are flat objects of
// plain strings, numbers and booleans: eachFlatField reads those by slicing,
// and anything else (an escaped character, a nested value) makes the caller
// fall back to encoding/json, which stays the one definition of the format.

// eachFlatField calls f with each key and raw value of a flat JSON object:
// strings (quotes removed) without escapes, numbers, true, false and null.
// It returns false, having called f for some fields perhaps, when raw is not
// such an object or f returns false.
func eachFlatField(raw string, f func(key, value string, quoted bool) bool) bool {
	s := trimJSONSpace(raw)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return false
	}
	s = trimJSONSpace(s[1 : len(s)-1])
	for s != "" {
		if s[0] != '"' {
			return false
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return false
		}
		key := s[1 : 1+end]
		s = trimJSONSpace(s[2+end:])
		if s == "" || s[0] != ':' || !plainJSONString(key) {
			return false
		}
		s = trimJSONSpace(s[1:])
		var value string
		quoted := s != "" && s[0] == '"'
		if quoted {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return false
			}
			value, s = s[1:1+end], s[2+end:]
			if !plainJSONString(value) {
				return false
			}
		} else {
			end := strings.IndexAny(s, ",} \t\r\n")
			if end < 0 {
				end = len(s)
			}
			value, s = s[:end], s[end:]
			if value != "true" && value != "false" && value != "null" && !jsonNumber(value) {
				return false // an object, an array, or not JSON
			}
		}
		if !f(key, value, quoted) {
			return false
		}
		s = trimJSONSpace(s)
		if s != "" {
			if s[0] != ',' {
				return false
			}
			s = trimJSONSpace(s[1:])
			if s == "" { // a trailing comma
				return false
			}
		}
	}
	return true
}

// trimJSONSpace trims what JSON counts as white space (strings.TrimSpace
// also trims \v, \f and Unicode spaces, which JSON rejects).
func trimJSONSpace(s string) string {
	for s != "" && jsonSpace(s[0]) {
		s = s[1:]
	}
	for s != "" && jsonSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func jsonSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// plainJSONString reports whether s, found between quotes, is a JSON string
// that means itself: valid UTF-8, no escapes, no control characters.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '\\' {
			return false
		}
	}
	return utf8.ValidString(s)
}

// jsonNumber reports whether s is a number as JSON writes one.
func jsonNumber(s string) bool {
	digits := func(s string) (rest string, n int) {
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		return s[n:], n
	}
	s = strings.TrimPrefix(s, "-")
	rest, n := digits(s)
	if n == 0 || (n > 1 && s[0] == '0') {
		return false
	}
	if strings.HasPrefix(rest, ".") {
		if rest, n = digits(rest[1:]); n == 0 {
			return false
		}
	}
	if rest != "" && (rest[0] == 'e' || rest[0] == 'E') {
		rest = rest[1:]
		if rest != "" && (rest[0] == '+' || rest[0] == '-') {
			rest = rest[1:]
		}
		if rest, n = digits(rest); n == 0 {
			return false
		}
	}
	return rest == ""
}

// flatBool and flatInt read a bare value as encoding/json would into a bool
// or an int; ok is false for anything it would not accept.
func flatBool(value string, quoted bool) (v, ok bool) {
	if quoted {
		return false, false
	}
	switch value {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false // null leaves a field as it was: encoding/json decides
}

func flatInt(value string, quoted bool) (int, bool) {
	if quoted {
		return 0, false
	}
	digits := strings.TrimPrefix(value, "-")
	if digits == "" || digits[0] < '0' || digits[0] > '9' || (len(digits) > 1 && digits[0] == '0') {
		return 0, false // not a JSON integer (a sign, a leading zero)
	}
	n, err := strconv.Atoi(value)
	return n, err == nil
}

// decodeMember reads a member record (see eachFlatField).
func decodeMember(raw []byte) (bot.Member, error) { return decodeMemberString(string(raw)) }

// decodeMemberString is decodeMember of a string as Redis replies give
// it: the fields are slices of raw, not copies.
func decodeMemberString(raw string) (bot.Member, error) {
	var m bot.Member
	ok := eachFlatField(raw, func(key, value string, quoted bool) bool {
		if !quoted && key != "active" {
			return false // a null or a number where a string belongs
		}
		switch key {
		case "userid":
			m.UserID = value
		case "name":
			m.Name = value
		case "branch":
			m.BranchID = value
		case "role":
			m.Role = bot.Role(value)
		case "status":
			m.Status = bot.Status(value)
		case "joined":
			return m.Joined.UnmarshalText([]byte(value)) == nil
		case "group":
			m.Group = value
		case "active":
			var ok bool
			m.Active, ok = flatBool(value, quoted)
			return ok
		default:
			return false // a field this reader does not know: let encoding/json decide
		}
		return true
	})
	if ok {
		return m, nil
	}
	m = bot.Member{}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return bot.Member{}, fmt.Errorf("store: decode member: %w", err)
	}
	return m, nil
}

// decodeStudyBrief reads a study report's day, minutes and withdrawal.
func decodeStudyBrief(raw string) (studyBrief, error) {
	var b studyBrief
	ok := eachFlatField(raw, func(key, value string, quoted bool) bool {
		switch key {
		case "day":
			return quoted && b.Day.UnmarshalText([]byte(value)) == nil
		case "minutes":
			var ok bool
			b.Minutes, ok = flatInt(value, quoted)
			return ok
		case "withdrawn":
			var ok bool
			b.Withdrawn, ok = flatBool(value, quoted)
			return ok
		}
		// A field the brief does not read; encoding/json matches keys
		// without regard to case, so a near miss goes to it.
		return !strings.EqualFold(key, "day") && !strings.EqualFold(key, "minutes") && !strings.EqualFold(key, "withdrawn")
	})
	if ok {
		return b, nil
	}
	b = studyBrief{}
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		return studyBrief{}, fmt.Errorf("store: decode study: %w", err)
	}
	return b, nil
}
