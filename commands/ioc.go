package commands

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/exports"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

// maxIOCNote bounds an indicator's note.
const maxIOCNote = 300

// iocCmd is /incident ioc add <value> [type] [--tlp <marking>] [--note …]:
// an indicator of compromise, refanged and normalised for storage,
// deduplicated per incident, shown defanged. ioc add alone opens the form.
func (h *Response) iocCmd(ctx context.Context, c *call) error {
	words, opts, err := options(c.parsed.Raw, "note", "tlp")
	if err != nil {
		return incident.Errorf("%s. %s", err.Error(), c.sub.usageHint())
	}
	verb := ""
	if len(words) > 0 {
		verb, words = strings.ToLower(words[0]), words[1:]
	}
	switch verb {
	case "mark":
		return h.markIOC(ctx, c, words, opts)
	case "add":
	case "":
		return incident.Errorf("Say what to add: %s. %s", incident.Literal("/incident ioc add 203.0.113.7"), c.sub.usageHint())
	default:
		return incident.Errorf("There is no %s for indicators: use add or mark (%s lists them, %s shares them). %s", echo(verb), incident.Literal("/incident iocs"), incident.Literal("/incident iocs export"), c.sub.usageHint())
	}
	if c.inc.Status != incident.Open && !h.wroteBefore(ctx, c.inc.Number) {
		return incident.Fail(incident.Conflict, "%s is closed: add no more indicators to it. You can still mark them, with %s.", c.inc.Ref(), incident.Literal("/incident ioc mark"))
	}
	if len(words) == 0 && len(opts) == 0 {
		return h.chat.OpenView(ctx, c.req.TriggerID, iocModal(c.inc))
	}
	if len(words) == 0 {
		return incident.Errorf("Say what to add: %s. %s", incident.Literal("/incident ioc add 203.0.113.7"), c.sub.usageHint())
	}
	if len(words) == 2 {
		if _, isType := incident.ParseIndicatorType(words[0]); isType {
			if _, _, isValue := incident.Classify(words[1]); isValue {
				words = []string{words[1], words[0]} // the type came first
			}
		}
	}
	if len(words) > 2 {
		return incident.Errorf("Add one indicator at a time, with its type if you like (the form takes many: %s alone). %s", incident.Literal("/incident ioc add"), c.sub.usageHint())
	}
	typ, value, ok := incident.Classify(words[0])
	if !ok {
		return incident.Errorf("%s is not an indicator I know: an IPv4 or IPv6 address, a domain, a URL, an e-mail address, an MD5, SHA-1 or SHA-256 hash, a CVE id or a file path (defanged is fine: hxxp, [.], [@]). %s",
			incident.Literal(incident.Defang(incident.IOCURL, render.Truncate(words[0], 200))), c.sub.usageHint())
	}
	if len(words) == 2 {
		want, known := incident.ParseIndicatorType(words[1])
		switch {
		case !known:
			return incident.Errorf("There is no indicator type %s. Choose one of: ipv4, ipv6, domain, url, email, md5, sha1, sha256, cve, path.", echo(words[1]))
		case want != typ:
			return incident.Errorf("%s is %s, not %s.", incident.Literal(incident.Defang(typ, value)), typ.WithArticle(), want.WithArticle())
		}
	}
	marking, note, err := iocExtras(opts["tlp"], opts["note"], opts)
	if err != nil {
		return err
	}
	answer, err := h.addIndicators(ctx, c.inc, c.req.UserID, c.req.ChannelID, []incident.Candidate{{Type: typ, Value: value}}, marking, note)
	if err != nil {
		return err
	}
	h.respond(ctx, c.req, render.Done(answer))
	return nil
}

// iocExtras checks an indicator's marking and note.
func iocExtras(tlp, note string, given map[string]string) (string, string, error) {
	marking := ""
	if _, ok := given["tlp"]; ok {
		if strings.TrimSpace(tlp) == "" {
			return "", "", incident.Errorf("Give a marking after %s: clear, green, amber, amber+strict or red.", incident.Literal("--tlp"))
		}
		m, known := incident.ParseMarking(tlp)
		if !known {
			return "", "", incident.Errorf("There is no TLP marking %s. Choose one of: clear, green, amber, amber+strict, red.", echo(tlp))
		}
		marking = m
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) > maxIOCNote {
		return "", "", incident.Errorf("Keep the note under %d characters.", maxIOCNote)
	}
	return marking, note, nil
}

// maxIOCsAtOnce bounds the indicators one form or message adds.
const maxIOCsAtOnce = 100

// addIndicators adds indicators to an incident, by command, form or
// shortcut, and says what happened, with the other incidents each was
// seen in that the person may see.
func (h *Response) addIndicators(ctx context.Context, inc *incident.Incident, user, channel string, found []incident.Candidate, marking, note string) (incident.Sentence, error) {
	now := h.now()
	var added, again, stricter []any
	var also []incident.Sentence
	tell := privateSightings{}
	defer func() { h.tellCommanders(ctx, inc, user, tell) }()
	for _, cand := range found[:min(len(found), maxIOCsAtOnce)] {
		stored, err := h.store.AddIndicator(ctx, inc.Number, incident.Indicator{Type: cand.Type, Value: cand.Value, FirstSeen: now, LastSeen: now,
			AddedBy: user, State: incident.IndicatorSuspected, Marking: marking, Note: note})
		if err != nil {
			return incident.Sentence{}, err
		}
		if len(found) == 1 {
			also := h.sightings(ctx, inc, stored, user, channel, tell)
			h.refresh(ctx, inc.Number)
			if stored.Sightings > 1 {
				kept := incident.Say("")
				if marking != "" && stored.Marking != marking {
					kept = incident.Say(" It keeps the stricter marking it had, %s.", stored.Marking)
				}
				if note != "" && stored.Note != note {
					kept = incident.Say("%s It keeps its first note; yours is on the timeline with this sighting.", kept)
				}
				return incident.Say("%s was already on %s: seen %d times now.%s%s", incident.Literal(stored.Defanged()), inc.Ref(), stored.Sightings, kept, also), nil
			}
			return incident.Say("Added the %s %s to %s.%s", cand.Type.Noun(), incident.Literal(stored.Defanged()), inc.Ref(), also), nil
		}
		if stored.Sightings > 1 {
			again = append(again, incident.Literal(stored.Defanged()))
			if marking != "" && stored.Marking != marking {
				stricter = append(stricter, incident.Say("%s (%s)", incident.Literal(stored.Defanged()), stored.Marking))
			}
		} else {
			added = append(added, incident.Literal(stored.Defanged()))
		}
		if s := h.sightings(ctx, inc, stored, user, channel, tell); s.String() != "" {
			also = append(also, incident.Say("%s:%s", incident.Literal(stored.Defanged()), s))
		}
	}
	h.refresh(ctx, inc.Number)
	// What matters most first, every list named in part, so that the
	// answer fits one message however many a form held.
	parts := []any{}
	if len(stricter) > 0 {
		parts = append(parts, incident.Say("%d keep the stricter marking they had, not the one you gave: %s.", len(stricter), someOf(stricter)))
	}
	switch {
	case len(added) == 1:
		parts = append(parts, incident.Say("Added 1 indicator to %s: %s.", inc.Ref(), added[0]))
	case len(added) > 1:
		parts = append(parts, incident.Say("Added %d indicators to %s: %s.", len(added), inc.Ref(), someOf(added)))
	}
	if len(again) > 0 {
		parts = append(parts, incident.Say("Already on %s, seen again: %s.", inc.Ref(), someOf(again)))
	}
	for _, a := range also[:min(len(also), maxNamed)] {
		parts = append(parts, a)
	}
	if len(also) > maxNamed {
		parts = append(parts, incident.Say("%d more were seen in other incidents too: %s lists them.", len(also)-maxNamed, incident.Literal("/incident iocs")))
	}
	return incident.Join(" ", parts...), nil
}

// maxNamed bounds the items one list of an answer names.
const maxNamed = 15

// someOf is the first maxNamed of list, and how many more there are.
func someOf(list []any) incident.Sentence {
	if len(list) <= maxNamed {
		return incident.Join(", ", list...)
	}
	return incident.Say("%s and %d more", incident.Join(", ", list[:maxNamed]...), len(list)-maxNamed)
}

// markIOC is /incident ioc mark <value> [suspected|malicious|false-positive] [--tlp <marking>]:
// an indicator's state, its marking, or both. The words may come in either order.
func (h *Response) markIOC(ctx context.Context, c *call, words []string, opts map[string]string) error {
	if _, ok := opts["note"]; ok {
		return incident.Errorf("A note goes with %s, not with %s. %s", incident.Literal("ioc add"), incident.Literal("ioc mark"), c.sub.usageHint())
	}
	if len(words) == 3 && strings.EqualFold(words[1], "false") && strings.EqualFold(words[2], "positive") {
		words = []string{words[0], "false-positive"}
	}
	if len(words) == 3 && strings.EqualFold(words[0], "false") && strings.EqualFold(words[1], "positive") {
		words = []string{"false-positive", words[2]}
	}
	example := incident.Literal("/incident ioc mark 203.0.113.7 malicious")
	if len(words) == 0 || len(words) > 2 || (len(words) == 1 && opts["tlp"] == "") {
		return incident.Errorf("Say which indicator and its state or marking: %s, or %s. %s", example, incident.Literal("/incident ioc mark 203.0.113.7 --tlp red"), c.sub.usageHint())
	}
	valueWord, state := words[0], ""
	if len(words) == 2 {
		var ok bool
		if state, ok = incident.ParseIndicatorState(words[1]); !ok {
			if state, ok = incident.ParseIndicatorState(words[0]); ok {
				valueWord = words[1] // the state came first
			} else {
				return incident.Errorf("There is no state %s. Choose one of: suspected, malicious, false-positive.", echo(words[1]))
			}
		}
	}
	marking, _, err := iocExtras(opts["tlp"], "", opts)
	if err != nil {
		return err
	}
	typ, value, ok := incident.Classify(valueWord)
	found := false
	if ok {
		inds, err := h.store.Indicators(ctx, c.inc.Number)
		if err != nil {
			return err
		}
		for _, ind := range inds {
			found = found || (ind.Type == typ && ind.Value == value)
		}
	}
	if !found {
		return incident.Fail(incident.NotFound, "%s has no indicator %s; %s lists them.", c.inc.Ref(), incident.Literal(incident.DefangAny(render.Truncate(valueWord, 200))), incident.Literal("/incident iocs"))
	}
	stored, err := h.store.MarkIndicator(ctx, c.inc.Number, typ, value, state, marking, h.actor(c.req.UserID), h.now())
	if err != nil {
		return err
	}
	shown := strings.ReplaceAll(stored.State, "_", " ")
	if stored.Marking != "" {
		shown += ", " + stored.Marking
	}
	h.respond(ctx, c.req, render.Done(incident.Say("%s on %s is now %s.", incident.Literal(stored.Defanged()), c.inc.Ref(), shown)))
	return nil
}

// sightings looks for an indicator in other incidents: those the person
// may see are named in the answer; the commander of one they may not see
// is to be told privately instead (tell collects it, by incident, for one
// message per request), so the overlap is not lost and nothing leaks.
// Drills are left out both ways; a quiet incident's sightings are told
// only to the person who added them.
func (h *Response) sightings(ctx context.Context, inc *incident.Incident, ind incident.Indicator, user, channel string, tell privateSightings) incident.Sentence {
	if inc.Drill {
		return incident.Say("")
	}
	ns, err := h.store.IndicatorSeenIn(ctx, ind.Type, ind.Value)
	if err != nil {
		h.log.Warn("could not look for the indicator in other incidents", "incident", inc.Number, "err", err)
		return incident.Say("")
	}
	var seen []any
	for _, n := range ns {
		if n == inc.Number {
			continue
		}
		other, err := h.store.Get(ctx, n)
		if err != nil || other.Drill {
			continue
		}
		if h.maySee(other, user, channel) {
			seen = append(seen, incident.Strong(other.Ref()))
			continue
		}
		// A quiet incident tells nobody outside it that it exists.
		if other.Commander() != "" && !inc.Quiet {
			if tell[n] == nil {
				tell[n] = &privateSighting{other: other}
			}
			tell[n].indicators = append(tell[n].indicators, ind)
		}
	}
	if len(seen) == 0 {
		return incident.Say("")
	}
	return incident.Say(" Also seen in %s.", incident.Join(", ", seen...))
}

// privateSightings are, by other incident, the indicators one request
// added that its commander is to be told of.
type privateSightings map[int64]*privateSighting

type privateSighting struct {
	other      *incident.Incident
	indicators []incident.Indicator
}

// maxSightingsNamed bounds the indicators one sighting message names.
const maxSightingsNamed = 10

// tellCommanders sends each other incident's commander one message naming
// the indicators of theirs that were added to inc: once a day for the pair
// of incidents and the same indicators, however often they are added.
func (h *Response) tellCommanders(ctx context.Context, inc *incident.Incident, user string, tell privateSightings) {
	for n, t := range tell {
		cmdr := t.other.Commander()
		var named []any
		sum := sha256.New()
		for _, ind := range t.indicators {
			fmt.Fprintf(sum, "%s %s\n", ind.Type, ind.Value)
			if len(named) < maxSightingsNamed {
				named = append(named, incident.Literal(ind.Defanged()))
			}
		}
		what := incident.Say("The indicator %s of %s was", named[0], t.other.Ref())
		if len(t.indicators) > 1 {
			list := incident.Join(", ", named...)
			if more := len(t.indicators) - len(named); more > 0 {
				list = incident.Say("%s and %d more", list, more)
			}
			what = incident.Say("%d indicators of %s (%s) were", len(t.indicators), t.other.Ref(), list)
		}
		msg := render.Info(incident.Say("%s also added to %s, by %s. You are told as the commander of %s; they were not told of it.",
			what, inc.Ref(), incident.UserRef(user), t.other.Ref()))
		if !h.maySee(inc, cmdr, "") {
			// Their incident is as private to this commander: the overlap, not where it is.
			msg = render.Info(incident.Say("%s also added to another incident, which you are not a member of. You are told as the commander of %s; its people were not told of yours.",
				what, t.other.Ref()))
		}
		occasion := fmt.Sprintf("sighting:%d:%d:%x", n, inc.Number, sum.Sum(nil)[:12])
		if err := h.postFor(ctx, occasion, cmdr, aboutMarked(t.other, inc.Marking(), msg)); err != nil {
			h.log.Warn("could not tell a commander of a sighting", "incident", n, "err", err)
		}
	}
}

// iocsCmd is /incident iocs [export]: the incident's indicators,
// defanged; export uploads them to the incident's channel as CSV and as a
// STIX 2.1 bundle.
func (h *Response) iocsCmd(ctx context.Context, c *call) error {
	args := c.parsed.Args
	export := len(args) == 1 && strings.EqualFold(args[0], "export")
	if len(args) > 0 && !export {
		return incident.Errorf("%s takes nothing, or %s. %s", incident.Literal("/incident iocs"), incident.Literal("export"), c.sub.usageHint())
	}
	inds, err := h.store.Indicators(ctx, c.inc.Number)
	if err != nil {
		return err
	}
	inds = c.inc.AtLeastMarked(inds)
	if export {
		return h.exportIOCs(ctx, c, inds)
	}
	c.read = true
	lines := make([]render.IndicatorLine, len(inds))
	for i, ind := range inds {
		lines[i] = render.IndicatorLine{Type: string(ind.Type), Defanged: ind.Defanged(), Sightings: ind.Sightings, State: ind.State, AddedBy: ind.AddedBy,
			FirstSeen: ind.FirstSeen, LastSeen: ind.LastSeen, Marking: ind.Marking, Note: ind.Note}
	}
	h.respond(ctx, c.req, render.Indicators(c.inc.Ref(), lines))
	return nil
}

func countFalsePositives(inds []incident.Indicator) int {
	n := 0
	for _, i := range inds {
		if i.State == incident.IndicatorFalsePositive {
			n++
		}
	}
	return n
}

// exportIOCs uploads the indicators to the incident's own channel only:
// the files hold them live, for other tools.
func (h *Response) exportIOCs(ctx context.Context, c *call, inds []incident.Indicator) error {
	if len(inds) == 0 {
		return incident.Errorf("%s has no indicators to export yet.", c.inc.Ref())
	}
	if c.inc.ChannelID == "" {
		return incident.Errorf("%s has no channel to share the files in.", c.inc.Ref())
	}
	bundle, err := exports.STIXBundle(c.inc.Ref(), inds)
	if err != nil {
		return err
	}
	base := strings.ToLower(c.inc.Ref())
	csvLink, err := h.uploadOnce(ctx, "iocs-csv", c.inc.ChannelID, base+"-indicators.csv", c.inc.Ref()+" indicators (CSV, live values)", exports.IndicatorsCSV(c.inc.Ref(), inds))
	if err != nil {
		return err
	}
	if _, err := h.uploadOnce(ctx, "iocs-stix", c.inc.ChannelID, base+"-indicators.stix.json", c.inc.Ref()+" indicators (STIX 2.1 bundle)", bundle); err != nil {
		return err
	}
	left := incident.Say("")
	if fp := countFalsePositives(inds); fp > 0 {
		left = incident.Say(" The STIX bundle leaves out the %d marked false positive.", fp)
	}
	h.respond(ctx, c.req, render.Done(incident.Say("Exported %d indicators of %s to its channel as CSV and as a STIX 2.1 bundle.%s The files hold the live values: handle them as the indicators' markings say.", len(inds), c.inc.Ref(), left)))
	_ = csvLink
	return nil
}

// uploadOnce shares a file once per request: a request done again after
// a crash does not share it twice.
func (h *Response) uploadOnce(ctx context.Context, what, channelID, name, title string, content []byte) (string, error) {
	key := "uploaded:" + incident.RequestID(ctx) + ":" + what
	if incident.RequestID(ctx) != "" && incident.IsRedo(ctx) {
		if done, err := h.core.store.Taken(ctx, key); err == nil && done {
			return "", nil
		}
	}
	link, err := h.chat.Upload(ctx, channelID, name, title, content)
	if err != nil {
		return "", fmt.Errorf("upload %s: %w", name, err)
	}
	if incident.RequestID(ctx) != "" {
		if _, err := h.core.store.Once(ctx, key, postMemory); err != nil {
			h.log.Warn("could not note an upload; if it is done again it is shared again", "file", name, "err", err)
		}
	}
	return link, nil
}

// iocSubmission takes the indicator form: every indicator found in the
// text is added (of the chosen type only, when one is chosen).
func (h *Response) iocSubmission(ctx context.Context, in Interaction, inc *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	if inc.Status != incident.Open && !h.wroteBefore(ctx, inc.Number) {
		return map[string]string{InputIndicators: inc.Ref() + " is closed: add no more indicators to it."}, nil
	}
	text := strings.TrimSpace(in.Values[InputIndicators])
	if len([]rune(text)) > incident.MaxTextChars {
		return map[string]string{InputIndicators: fmt.Sprintf("Keep it under %d characters.", incident.MaxTextChars)}, nil
	}
	found := incident.Extract(text) // a form's text is plain, as typed
	if t := in.Values[InputIOCType]; t != "" {
		want, ok := incident.ParseIndicatorType(t)
		if !ok {
			return map[string]string{InputIOCType: "Choose a type from the list."}, nil
		}
		found = slices.DeleteFunc(found, func(c incident.Candidate) bool { return c.Type != want })
		if len(found) == 0 {
			return map[string]string{InputIndicators: fmt.Sprintf("I found no %s in this. Clear the type to add every indicator found.", want.Noun())}, nil
		}
	}
	if len(found) == 0 {
		return map[string]string{InputIndicators: "I found no indicator in this: give addresses, domains, URLs, e-mail addresses, hashes, CVE ids or file paths."}, nil
	}
	if len(found) > maxIOCsAtOnce {
		return map[string]string{InputIndicators: fmt.Sprintf("That is %d indicators: add at most %d at a time.", len(found), maxIOCsAtOnce)}, nil
	}
	marking, note, errs := formExtras(in)
	if errs != nil {
		return errs, nil
	}
	return nil, func(ctx context.Context) error {
		answer, err := h.addIndicators(ctx, inc, in.UserID, inc.ChannelID, found, marking, note)
		if err != nil {
			return err
		}
		return h.tellPrivately(ctx, inc.ChannelID, in.UserID, render.Done(answer))
	}
}

// formExtras reads a form's marking and note.
func formExtras(in Interaction) (string, string, map[string]string) {
	marking := ""
	if m := in.Values[InputMarking]; m != "" {
		var ok bool
		if marking, ok = incident.ParseMarking(m); !ok {
			return "", "", map[string]string{InputMarking: "Choose a marking from the list."}
		}
	}
	note := strings.TrimSpace(in.Values[InputNote])
	if len([]rune(note)) > maxIOCNote {
		return "", "", map[string]string{InputNote: fmt.Sprintf("Keep it under %d characters.", maxIOCNote)}
	}
	return marking, note, nil
}

// iocShortcut is the message shortcut Add indicators: it finds the
// indicators in the message and lets the person pick which to add, to the
// incident of the channel, or (elsewhere) to an open incident they choose.
func (h *Response) iocShortcut(ctx context.Context, in Interaction, _ *incident.Incident) error {
	found := incident.Extract(render.Plain(in.MessageText))
	if len(found) == 0 {
		return incident.Errorf("I found no indicators in that message: no addresses, domains, URLs, e-mail addresses, hashes, CVE ids or file paths.")
	}
	var n int64
	var incidents []render.Option
	here, err := h.store.ByChannel(ctx, in.ChannelID)
	switch {
	case err == nil && here.Status == incident.Open && h.maySee(here, in.UserID, in.ChannelID):
		n = here.Number
	case err != nil && !errors.Is(err, incident.ErrNotFound):
		return err
	default:
		listings, err := h.store.OpenListings(ctx)
		if err != nil {
			return err
		}
		for _, l := range listings {
			if h.mayList(l, in.UserID, "") {
				incidents = append(incidents, render.Option{Value: strconv.FormatInt(l.Number, 10), Label: l.Ref() + " " + l.Title})
			}
		}
		if len(incidents) == 0 {
			return incident.Fail(incident.Conflict, "There is no open incident you can see to add indicators to.")
		}
		incidents = incidents[max(0, len(incidents)-render.MaxSelectOptions):]
	}
	return h.chat.OpenView(ctx, in.TriggerID, iocPickModal(n, found, incidents))
}

// iocPickedSubmission takes the pick form. The incident is checked here,
// as for the command: the person must be able to see it, and it must be
// open. The candidates come back in the metadata the bot wrote, and are
// checked again all the same.
func (h *Response) iocPickedSubmission(ctx context.Context, in Interaction, _ *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	var meta pickedMetadata
	if err := json.Unmarshal([]byte(in.PrivateMetadata), &meta); err != nil {
		return map[string]string{InputIndicators: "This form is not one I made; nothing was done."}, nil
	}
	n := meta.Incident
	if n == 0 {
		var err error
		if n, err = positive(in.Values[InputIncident]); err != nil {
			return map[string]string{InputIncident: "Choose an incident from the list."}, nil
		}
	}
	inc, err := h.visibleIncident(ctx, n, in.UserID, "")
	if err == nil && inc.Status != incident.Open && !h.wroteBefore(ctx, n) {
		err = incident.Fail(incident.Conflict, "%s is closed: add no more indicators to it.", inc.Ref())
	}
	if err != nil {
		if _, gerr := h.store.Get(ctx, n); gerr == nil { // it exists: the attempt is on its log
			h.audit(ctx, nil, n, in.UserID, "form "+ModalIOC+"_picked", work.OutcomeUserError, false)
		}
		return map[string]string{FirstInput(in.Values): render.SayLabel(incident.ErrorMessage(err, incident.RequestID(ctx)))}, nil
	}
	var picked []incident.Candidate
	for _, v := range strings.Split(in.Values[InputIndicators], ",") {
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 || i >= len(meta.Candidates) {
			continue
		}
		if t, value, ok := incident.Classify(meta.Candidates[i][1]); ok && string(t) == meta.Candidates[i][0] {
			picked = append(picked, incident.Candidate{Type: t, Value: value})
		}
	}
	if len(picked) == 0 {
		return map[string]string{InputIndicators: "Pick at least one indicator."}, nil
	}
	marking, note, errs := formExtras(in)
	if errs != nil {
		return errs, nil
	}
	return nil, func(ctx context.Context) error {
		// The incident was chosen in the form, so the log is written here.
		answer, err := h.addIndicators(ctx, inc, in.UserID, "", picked, marking, note)
		outcome := work.OutcomeOK
		if err != nil {
			outcome = work.OutcomeError
			if !isFault(err) {
				outcome = work.OutcomeUserError
			}
		}
		h.audit(ctx, inc, 0, in.UserID, "form "+ModalIOC+"_picked", outcome, false)
		if err != nil {
			return err
		}
		return h.tellPrivately(ctx, inc.ChannelID, in.UserID, render.Done(answer))
	}
}
