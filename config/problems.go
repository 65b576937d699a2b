package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong in the configuration file, named by its YAML
// path (severities[1].targets.containment) and, when the file has the key,
// its line: what the person who wrote the file can find and fix.
type Problem struct {
	Path string
	Line int // 0: not in the file (a built-in default, a missing key)
	Msg  string
}

func (p Problem) String() string {
	s := p.Msg
	if p.Path != "" {
		s = p.Path + ": " + s
	}
	if p.Line > 0 {
		s = fmt.Sprintf("line %d: %s", p.Line, s)
	}
	return s
}

// FileError is every problem of a configuration file, reported at once so
// that one run of check-config finds them all, in the file's order.
type FileError struct {
	File     string // the file's name, when known (Load sets it)
	Problems []Problem
}

// Error puts one problem on each line: check-config indents them under the file.
func (e *FileError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	switch {
	case e.File == "":
		return strings.Join(lines, "\n")
	case len(lines) == 1:
		return e.File + ": " + lines[0]
	}
	return fmt.Sprintf("%s has %d problems:\n  %s", e.File, len(lines), strings.Join(lines, "\n  "))
}

// scalarOr is a raw type the file may write as one value as well as a
// mapping (a playbook item's text); its mapping is checked as mappingForm's type.
type scalarOr interface{ mappingForm() any }

var nodeType = reflect.TypeFor[yaml.Node]()

// shapeCheck walks the file's YAML against rawFile's yaml tags, so that an
// unknown key or a value of the wrong kind is reported by its path and
// line, and all of them at once: the decoder stops at the first and names
// Go types.
type shapeCheck struct {
	problems  []Problem
	following map[*yaml.Node]bool // the aliases being followed, against one that contains itself
	replaced  map[*yaml.Node]bool // the values wrong took out
	taken     []string            // and their paths, for the validation to leave alone
	aliases   int                 // followed so far: the decoder refuses a file of too many
}

func newShapeCheck() *shapeCheck {
	return &shapeCheck{following: map[*yaml.Node]bool{}, replaced: map[*yaml.Node]bool{}}
}

func (c *shapeCheck) add(n *yaml.Node, path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
}

// wrong reports a value of the wrong shape and puts t's zero value in its
// place: the decoder would drop the list item it is in (null too), and the
// validation's indices would then be off.
func (c *shapeCheck) wrong(n *yaml.Node, t reflect.Type, path, format string, args ...any) {
	c.add(n, path, format, args...)
	var zero yaml.Node
	if zero.Encode(reflect.Zero(t).Interface()) != nil {
		zero = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	zero.Line, zero.Column = n.Line, n.Column
	*n = zero
	c.replaced[n] = true
	c.taken = append(c.taken, path)
}

func (c *shapeCheck) walk(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.DocumentNode {
		for _, top := range n.Content {
			c.walk(top, t, path)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		if c.following[n] {
			c.wrong(n, t, path, "the alias *%s contains itself", n.Value)
			return
		}
		if c.aliases++; c.aliases > 10000 {
			return
		}
		c.following[n] = true
		defer delete(c.following, n)
		target := *n.Alias // a wrong value is replaced here, not at its anchor
		if c.walk(&target, t, path); c.replaced[&target] {
			*n = target
		}
		return
	}
	if t == nodeType || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") {
		return // a yaml.Node is read by the validation; an empty value keeps the default
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if alt, ok := reflect.Zero(t).Interface().(scalarOr); ok {
		if n.Kind == yaml.ScalarNode {
			return
		}
		t = reflect.TypeOf(alt.mappingForm())
	}
	switch t.Kind() {
	case reflect.Struct:
		if c.kindIs(n, t, yaml.MappingNode, path) {
			c.fields(n, t, path)
		}
	case reflect.Map:
		if c.kindIs(n, t, yaml.MappingNode, path) {
			c.entries(n, t.Elem(), path)
		}
	case reflect.Slice:
		if c.kindIs(n, t, yaml.SequenceNode, path) {
			for i, item := range n.Content {
				c.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			}
		}
	default:
		if c.kindIs(n, t, yaml.ScalarNode, path) {
			c.scalar(n, t, path)
		}
	}
}

var kindNames = map[yaml.Kind]string{
	yaml.MappingNode:  "keys with values (key: value)",
	yaml.SequenceNode: "a list",
	yaml.ScalarNode:   "a single value",
}

// kindIs reports whether n is of the kind wanted, and the problem when not.
func (c *shapeCheck) kindIs(n *yaml.Node, t reflect.Type, want yaml.Kind, path string) bool {
	if n.Kind == want {
		return true
	}
	got := kindNames[n.Kind]
	if n.Kind == yaml.ScalarNode {
		got = strconv.Quote(n.Value)
	}
	c.wrong(n, t, path, "must be %s, not %s", kindNames[want], got)
	return false
}

// scalar tries the value as the decoder will read it (yes is a bool there).
func (c *shapeCheck) scalar(n *yaml.Node, t reflect.Type, path string) {
	if n.Decode(reflect.New(t).Interface()) == nil {
		return
	}
	if t.Kind() == reflect.Bool {
		c.wrong(n, t, path, "%q is not true or false", n.Value)
		return
	}
	c.wrong(n, t, path, "%q is not a %s", n.Value, t.Kind())
}

// fields checks a mapping's keys against a struct's yaml tags.
func (c *shapeCheck) fields(n *yaml.Node, t reflect.Type, path string) {
	var keys []string
	types := map[string]reflect.Type{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
			types[name] = t.Field(i).Type
		}
	}
	c.eachKey(n, path, func(k, v *yaml.Node) {
		if isMerge(k) {
			c.merge(v, t, path)
			return
		}
		ft, ok := types[k.Value]
		if !ok {
			c.add(k, join(path, k.Value), "unknown key%s", hint(k.Value, keys))
			return
		}
		c.walk(v, ft, join(path, k.Value))
	})
}

// entries checks a mapping's values; its keys are the validation's to judge.
func (c *shapeCheck) entries(n *yaml.Node, elem reflect.Type, path string) {
	c.eachKey(n, path, func(k, v *yaml.Node) {
		if isMerge(k) {
			c.merge(v, reflect.MapOf(reflect.TypeFor[string](), elem), path)
			return
		}
		c.walk(v, elem, join(path, k.Value))
	})
}

// eachKey calls fn with each key of n given once. A key given again is a
// problem, and is taken out: the decoder would drop the whole mapping.
func (c *shapeCheck) eachKey(n *yaml.Node, path string, fn func(k, v *yaml.Node)) {
	first := map[string]int{}
	kept := n.Content[:0:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if line, twice := first[k.Value]; twice && !isMerge(k) {
			c.add(k, join(path, k.Value), "is given twice (also at line %d)", line)
			continue
		}
		first[k.Value] = k.Line
		kept = append(kept, k, v)
		fn(k, v)
	}
	n.Content = kept
}

// merge checks what <<: brings in (one mapping or a list of them) as if written in place.
func (c *shapeCheck) merge(v *yaml.Node, t reflect.Type, path string) {
	if v.Kind == yaml.SequenceNode {
		for _, m := range v.Content {
			c.walk(m, t, path)
		}
		return
	}
	c.walk(v, t, path)
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// hint suggests the valid key nearest to key when it is near enough to be
// the one meant (a typo, not another word), or lists a short set of keys.
func hint(key string, valid []string) string {
	if best, d := nearest(key, valid); d >= 0 && typo(key, best, d) {
		return "; did you mean " + best + "?"
	}
	if len(valid) <= 6 {
		return " (the keys here are " + strings.Join(valid, ", ") + ")"
	}
	return ""
}

// meant is "; did you mean <v>?" for the value of valid nearest to word,
// when it is near enough to be a typo of it, and "" otherwise: for names
// of phases, severities and the like, where hint is for keys.
func meant(word string, valid ...string) string {
	// sev9 is not a typo of sev1: names that differ only in their numbers
	// are other names, and the list shown says which there are.
	noDigits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return -1
			}
			return unicode.ToLower(r)
		}, s)
	}
	if best, d := nearest(word, valid); d > 0 && typo(word, best, d) && noDigits(word) != noDigits(best) {
		return "; did you mean " + best + "?"
	}
	return ""
}

// nearest is the value of valid fewest edits from word, and how many (-1:
// valid is empty, or word is too long to be a typo of a name).
func nearest(word string, valid []string) (string, int) {
	best, bestD := "", -1
	// Names are short words. Counting the edits between two long strings
	// takes their lengths multiplied: an enormous value compared with an
	// enormous (refused) severity name held check-config for minutes.
	if utf8.RuneCountInString(word) > maxTypoRunes {
		return best, bestD
	}
	for _, v := range valid {
		if utf8.RuneCountInString(v) > maxTypoRunes {
			continue
		}
		if d := editDistance(strings.ToLower(word), strings.ToLower(v)); bestD < 0 || d < bestD {
			best, bestD = v, d
		}
	}
	return best, bestD
}

// maxTypoRunes is the longest word given a suggestion, or suggested: twice
// the longest name a file may give (keyPattern).
const maxTypoRunes = 64

// typo says whether d edits are few enough for word to be best mistyped,
// rather than another word.
func typo(word, best string, d int) bool { return d <= max(1, min(len(word), len(best))/3) }

// editDistance is the Levenshtein distance: the letters to add, drop or change.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev, cur := make([]int, len(rb)+1), make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			change := prev[j-1]
			if ra[i-1] != rb[j-1] {
				change++
			}
			cur[j] = min(change, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

var pathStep = regexp.MustCompile(`\[(\d+)\]|[^.\[\]]+`)

// lineOf finds path's key in the file, or the nearest entry above it that
// is there (roles[0] for a missing roles[0].name); 0 when not even the
// top-level key is: the problem is a built-in default.
func lineOf(doc *yaml.Node, path string) int {
	n, line := doc, 0
	for _, step := range pathStep.FindAllStringSubmatch(path, -1) {
		for n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode {
			if n.Kind == yaml.AliasNode {
				n = n.Alias
			} else if n = first(n.Content); n == nil {
				return line
			}
		}
		if step[1] != "" {
			i, _ := strconv.Atoi(step[1])
			if n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
			continue
		}
		k, v := entry(n, step[0])
		if k == nil {
			return line
		}
		n, line = v, k.Line
	}
	return line
}

func first(list []*yaml.Node) *yaml.Node {
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

// entry finds key in a mapping; the validation lowercases some keys (SEV1).
func entry(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for _, fold := range []bool{false, true} {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if c := n.Content[i]; c.Value == key || (fold && strings.EqualFold(c.Value, key)) {
				return c, n.Content[i+1]
			}
		}
	}
	return nil, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlProblems words the YAML library's errors (a syntax error, or what
// the shape check did not foresee) as problems with their lines.
func yamlProblems(err error, prefix string) []Problem {
	var msgs []string
	if te := (*yaml.TypeError)(nil); errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	out := make([]Problem, len(msgs))
	for i, msg := range msgs {
		out[i] = Problem{Msg: prefix + strings.TrimPrefix(msg, "yaml: ")}
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			out[i].Line, _ = strconv.Atoi(m[1])
			out[i].Msg = prefix + m[2]
		}
	}
	return out
}

// within reports whether path is at or under one of paths: a value the
// shape check took out is not judged again by the validation.
func within(path string, paths []string) bool {
	return slices.ContainsFunc(paths, func(p string) bool {
		return path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[")
	})
}
