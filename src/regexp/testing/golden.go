// What Go's regexp answers for the cases src/regexp/regexp.test.ts compares against: compile
// errors, and MatchString, FindString, FindAllString, FindAllStringSubmatchIndex, ReplaceAllString,
// ReplaceAllLiteralString and Split. Regenerate (Go 1.26, as ESO 2.9):
//   go run src/regexp/testing/golden.go > src/regexp/testing/go-golden.json

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

type errCase struct {
	Pattern string `json:"pattern"`
	Error   string `json:"error"`
}

type matchCase struct {
	Pattern  string     `json:"pattern"`
	Input    string     `json:"input"`
	Match    bool       `json:"match"`
	Find     string     `json:"find"`
	FindAll  []string   `json:"findAll"`
	Indexes  [][]int    `json:"indexes"`
	Replaced []string   `json:"replaced"`
	Literal  string     `json:"literal"`
	Split    [][]string `json:"split"`
}

var templates = []string{"<$0>", "$1", "${1}x", "$1x", "$$", "${name}", "$name", "$", "${", "$01", "x${2}y"}
var splits = []int{-1, 0, 1, 2, 3}

func main() {
	errPatterns := []string{
		"(", "a(b", ")", "a)", "(?<!x)a", "(?<=x)a", "(?=x)", "(?!x)", "x{1001}", "x{2,1}", "x{1000}",
		`\1`, `(a)\1`, "a**", "a++", "a??", "*", "+a", "?", "[a", "[z-a]", `\`, `a\`, `\C`, `\Z`, `\8`,
		"(?P<n>a)(?P<n>b)", "(?P<>a)", "(?P<1a>x)", "(?i", "(?z)", "(?i)x", "(?U)x", "[[:foo:]]", "[[:alpha:]]",
		`\p{Foo}`, `\pX`, "(?<name", "(?P=n)", "(?P<name", "(?#c)", "a{,5}", "x{1001,}", "(?i-)x", "(?-)x",
		"[]a]", "[^]a]", `\Q*\E`, `\x{110000}`, `\x{10FFFF}`, `\xZ`, "a|*", "(|)", "()", "a{1,1001}",
		strings.Repeat("(", 1001) + strings.Repeat(")", 1001), "(?:(?:(?:a{1000}){1000}){1000})",
		"(?:a{1000}){1000}", `[\d-z]`, `\b\B\A\z`, "(?s).", "(?m)^$", `[\p{Greek}]`, `\pN`, "(?<n>x)",
	}
	var errs []errCase
	for _, p := range errPatterns {
		_, err := regexp.Compile(p)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		errs = append(errs, errCase{p, msg})
	}
	type pair struct{ p, s string }
	pairs := []pair{
		{"a(x*)b", "-ab-axxb-"}, {"x*", "xa"}, {"x*", "abc"}, {"a*", "baaac"}, {"", "abc"}, {"", ""},
		{"(?P<name>\\w+)@(?P<dom>\\w+)", "bob@ex joe@org"}, {"(a)|(b)", "ab"}, {"(a)$|(a)", "ab"},
		{"$", "ab"}, {"^", "ab"}, {"\\b", "ab cd"}, {"[,;]", "a,b;c"}, {",", ",a,,b,"}, {"a*", "a"},
		{"b*", "ab"}, {"(?i)abc", "xABCx"}, {"é+", "aééb"}, {".", "a😀b"}, {"😀*", "a😀😀b"}, {"(?m)^\\w", "ab\ncd"},
		{"\\s+", "a \u00a0b\tc"}, {"[[:upper:]]+", "aBCd"}, {"\\pL+", "1ab2"}, {"(a+)+$", "aaaa!"},
		{"(?U)a+", "aaa"}, {"a+?", "aaa"}, {"(a)(?:x)?(b)?", "a"}, {"\\Qa.b\\E", "a.b axb"}, {"(?s)a.b", "a\nb"},
		{"a.b", "a\nb"}, {"x", ""}, {"^$", ""}, {"(?P<name>a)", "aa"},
	}
	var matches []matchCase
	for _, pr := range pairs {
		re := regexp.MustCompile(pr.p)
		c := matchCase{Pattern: pr.p, Input: pr.s, Match: re.MatchString(pr.s), Find: re.FindString(pr.s),
			FindAll: re.FindAllString(pr.s, -1), Indexes: re.FindAllStringSubmatchIndex(pr.s, -1),
			Literal: re.ReplaceAllLiteralString(pr.s, "$1")}
		for _, t := range templates {
			c.Replaced = append(c.Replaced, re.ReplaceAllString(pr.s, t))
		}
		for _, n := range splits {
			c.Split = append(c.Split, re.Split(pr.s, n))
		}
		matches = append(matches, c)
	}
	out := map[string]any{"errors": errs, "matches": matches, "templates": templates, "splits": splits}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
