// This file is not part of FerretDB: the project adds it to FerretDB v1.24.2's source when it builds
// its embedded database (see tools/ferretdb/patches/sjson.patch, which renames the original
// Unmarshal/Marshal to unmarshalSlow/marshalSlow).
//
// The original decoder runs encoding/json again at every nesting level: a value at depth d is
// scanned about 2d times, and every scalar goes through a new json.Decoder. The decoder below reads
// the input once, guided by the schema. It accepts only input it fully understands and leaves
// everything else, including every malformed document, to the original decoder, so results and
// errors stay exactly the same; the encoder likewise leaves anything it cannot encode (NaN,
// infinities, duplicate keys, unknown types) to the original one.

package sjson

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/FerretDB/FerretDB/internal/types"
)

// Unmarshal decodes the top-level document.
// It decodes document's schema from the `$s` field and uses it to decode the data of the document.
func Unmarshal(data []byte) (*types.Document, error) {
	if doc, ok := unmarshalFast(data); ok {
		return doc, nil
	}

	return unmarshalSlow(data)
}

// Marshal encodes given document fields and set its schema in the field $s.
// Use it when you need to encode a document with schema, for example, when you want to store it in a database.
func Marshal(d *types.Document) ([]byte, error) {
	if b, ok := marshalFast(d); ok {
		return b, nil
	}

	return marshalSlow(d)
}

// maxFastDepth bounds the recursion of the fast decoder; deeper input is left to encoding/json,
// which has its own limit.
const maxFastDepth = 1000

// elemKind is the decoded "t" of a schema element.
type elemKind uint8

const (
	kindUnknown elemKind = iota // accepted in the schema, but only null data may use it
	kindObject
	kindArray
	kindDouble
	kindString
	kindBinData
	kindObjectID
	kindBool
	kindDate
	kindNull
	kindRegex
	kindInt
	kindTimestamp
	kindLong
)

// kindOf maps a schema type name to its kind.
func kindOf(t []byte) elemKind {
	switch elemType(t) {
	case elemTypeObject:
		return kindObject
	case elemTypeArray:
		return kindArray
	case elemTypeDouble:
		return kindDouble
	case elemTypeString:
		return kindString
	case elemTypeBinData:
		return kindBinData
	case elemTypeObjectID:
		return kindObjectID
	case elemTypeBool:
		return kindBool
	case elemTypeDate:
		return kindDate
	case elemTypeNull:
		return kindNull
	case elemTypeRegex:
		return kindRegex
	case elemTypeInt:
		return kindInt
	case elemTypeTimestamp:
		return kindTimestamp
	case elemTypeLong:
		return kindLong
	default:
		return kindUnknown
	}
}

// fastSchema is schema with the properties resolved in the order of the keys.
type fastSchema struct {
	keys  []string
	props []*fastElem // props[i] describes keys[i]; nil if "p" has no such entry
}

// fastElem is elem as the fast decoder needs it. The has* fields keep the difference between an
// absent field and a zero value, which the original decoder treats differently.
type fastElem struct {
	schema     fastSchema
	items      []*fastElem // nil if "i" is absent, non-nil (maybe empty) otherwise
	options    string
	kind       elemKind
	subtype    types.BinarySubtype
	hasSchema  bool
	hasOptions bool
	hasSubtype bool
}

// sharedScalars are the elements of scalar types as Marshal writes them, indexed by the first letter
// of the type. Most elements of a schema are such, and sharing them spares parsing them and memory;
// nothing may write to them.
var sharedScalars = func() (res [256][]sharedScalar) {
	for _, t := range []elemType{
		elemTypeDouble, elemTypeString, elemTypeObjectID, elemTypeBool, elemTypeDate,
		elemTypeNull, elemTypeInt, elemTypeTimestamp, elemTypeLong,
	} {
		s := sharedScalar{json: `{"t":"` + string(t) + `"}`, elem: &fastElem{kind: kindOf([]byte(t))}}
		res[t[0]] = append(res[t[0]], s)
	}

	return
}()

// sharedScalar is a shared scalar element and its JSON.
type sharedScalar struct {
	json string
	elem *fastElem
}

// propEntry is one entry of a schema's "p" object while the schema is being parsed.
type propEntry struct {
	name []byte
	elem *fastElem
}

// fieldList lets types.ConvertDocument build a document from keys and values in one go,
// instead of Set looking up every key among the previous ones.
type fieldList struct {
	keys   []string
	values []any
}

func (f *fieldList) Keys() []string { return f.keys }
func (f *fieldList) Values() []any  { return f.values }

// slab hands out slices carved from a reusable chunk, so that parsing a schema does not allocate
// for every element. Nothing carved from it may outlive one Unmarshal call.
type slab[T any] struct {
	buf []T
}

// take returns a zeroed, non-nil slice of n elements.
// The chunk past its length is always zero: it is either new or cleared by reset.
func (s *slab[T]) take(n int) []T {
	if s.buf == nil || n > cap(s.buf)-len(s.buf) {
		s.buf = make([]T, 0, max(2*cap(s.buf), 64, n))
	}

	l := len(s.buf)
	s.buf = s.buf[:l+n]

	return s.buf[l : l+n : l+n]
}

// reset makes the chunk reusable, dropping it if a huge document made it too big to keep.
func (s *slab[T]) reset() {
	clear(s.buf)

	if cap(s.buf) > 1<<12 {
		s.buf = nil
	}

	s.buf = s.buf[:0]
}

// decoder is the state of one fast Unmarshal call; decoders are pooled to reuse their buffers.
type decoder struct {
	data   []byte
	pos    int
	depth  int
	top    fastSchema
	fields fieldList

	vals    []any       // values of the objects being decoded, innermost last
	props   []propEntry // "p" entries of the schemas being parsed, innermost last
	items   []*fastElem // "i" entries of the schemas being parsed, innermost last
	keyBuf  []byte      // bytes of the "$k" list being parsed
	keyLens []int       // lengths of the "$k" entries in keyBuf

	elems slab[fastElem]
	ptrs  slab[*fastElem]
	strs  slab[string]
}

var decoderPool = sync.Pool{New: func() any { return new(decoder) }}

// unmarshalFast decodes data as Unmarshal does, or reports false if the input is not one it fully understands.
func unmarshalFast(data []byte) (*types.Document, bool) {
	d := decoderPool.Get().(*decoder)
	d.data = data
	doc, ok := d.document()
	d.release()
	decoderPool.Put(d)

	return doc, ok
}

// release drops all references to the input and the decoded values, keeping the buffers.
func (d *decoder) release() {
	clear(d.vals)
	clear(d.props)
	clear(d.items)
	d.vals, d.props, d.items = d.vals[:0], d.props[:0], d.items[:0]

	d.elems.reset()
	d.ptrs.reset()
	d.strs.reset()

	d.data, d.pos, d.depth = nil, 0, 0
	d.top, d.fields = fastSchema{}, fieldList{}
}

// document decodes the top-level object.
func (d *decoder) document() (*types.Document, bool) {
	d.skipWS()

	if more, ok := d.open('{'); !ok || !more {
		return nil, false
	}

	start := d.pos

	schStart, schEnd, ok := d.topSchema()
	if !ok {
		return nil, false
	}

	d.pos = start

	doc, ok := d.members(&d.top, schStart, schEnd)
	if !ok || d.pos != len(d.data) { // encoding/json rejects even trailing spaces here
		return nil, false
	}

	return doc, true
}

// topSchema finds the top-level "$s" member and parses it, returning where its value starts and ends.
// Marshal writes it first; PostgreSQL's and MySQL's JSON types reorder keys, so it may come later.
func (d *decoder) topSchema() (start, end int, ok bool) {
	for more := true; more; {
		key, ok := d.key()
		if !ok {
			return 0, 0, false
		}

		if string(key) == "$s" {
			start = d.pos
			if !d.schema(&d.top) {
				return 0, 0, false
			}

			return start, d.pos, true
		}

		if !d.skipValue() {
			return 0, 0, false
		}

		if more, ok = d.next('}'); !ok {
			return 0, 0, false
		}
	}

	return 0, 0, false
}

// members decodes the members of a non-empty object after its '{' by the schema and returns the document.
// For the top-level object, schStart and schEnd give the span of the "$s" value to skip; otherwise they are -1.
func (d *decoder) members(sch *fastSchema, schStart, schEnd int) (*types.Document, bool) {
	n := len(sch.keys)
	base := len(d.vals)
	d.vals = append(d.vals, make([]any, n)...)

	filled := 0

	for more := true; more; {
		key, ok := d.key()
		if !ok {
			return nil, false
		}

		if schStart >= 0 && string(key) == "$s" {
			if d.pos != schStart { // a second "$s": encoding/json would keep the last one
				return nil, false
			}

			d.pos = schEnd
		} else {
			i := slotOf(sch.keys, key, filled)
			if i < 0 || d.vals[base+i] != nil {
				return nil, false
			}

			v, ok := d.value(sch.props[i])
			if !ok {
				return nil, false
			}

			d.vals[base+i] = v
			filled++
		}

		if more, ok = d.next('}'); !ok {
			return nil, false
		}
	}

	if filled != n {
		return nil, false
	}

	return d.build(sch.keys, base), true
}

// slotOf returns the index of key in keys, trying hint first as keys usually come in schema order.
func slotOf(keys []string, key []byte, hint int) int {
	if hint < len(keys) && keys[hint] == string(key) {
		return hint
	}

	for i, k := range keys {
		if k == string(key) {
			return i
		}
	}

	return -1
}

// build makes a document of keys and the values on the stack from base, and pops them.
// The keys have no duplicates (the schema parser checks), so the result equals what Set would build.
func (d *decoder) build(keys []string, base int) *types.Document {
	vals := d.vals[base:]
	d.fields = fieldList{keys: keys, values: vals}
	doc, err := types.ConvertDocument(&d.fields)
	d.fields = fieldList{}

	clear(vals)
	d.vals = d.vals[:base]

	if err != nil {
		panic(err) // ConvertDocument fails only for nil input
	}

	return doc
}

// value decodes one value by its schema element (nil if the schema has none).
func (d *decoder) value(e *fastElem) (any, bool) {
	d.skipWS()

	if d.literal("null") { // null is accepted whatever the schema says, as unmarshalSingleValue does
		return types.Null, true
	}

	if e == nil {
		return nil, false
	}

	switch e.kind {
	case kindObject:
		return d.object(e)
	case kindArray:
		return d.array(e)
	case kindDouble:
		return d.double()
	case kindString:
		return d.stringValue()
	case kindBinData:
		return d.binary(e)
	case kindObjectID:
		return d.objectID()
	case kindBool:
		return d.boolean()
	case kindDate:
		return d.date()
	case kindRegex:
		return d.regex(e)
	case kindInt:
		return d.int32()
	case kindTimestamp:
		return d.timestamp()
	case kindLong:
		return d.int64()
	default: // kindNull with non-null data, or unknown type
		return nil, false
	}
}

// object decodes a nested document.
func (d *decoder) object(e *fastElem) (any, bool) {
	if !e.hasSchema || !d.enter() {
		return nil, false
	}
	defer d.leave()

	more, ok := d.open('{')
	if !ok {
		return nil, false
	}

	if !more {
		// an empty object is decoded without looking at the schema's keys, as documentType does
		return new(types.Document), true
	}

	return d.members(&e.schema, -1, -1)
}

// array decodes a nested array.
func (d *decoder) array(e *fastElem) (any, bool) {
	if e.items == nil || !d.enter() {
		return nil, false
	}
	defer d.leave()

	more, ok := d.open('[')
	if !ok {
		return nil, false
	}

	n := len(e.items)
	base := len(d.vals)

	for i := 0; more; i++ {
		if i >= n {
			return nil, false
		}

		v, ok := d.value(e.items[i])
		if !ok {
			return nil, false
		}

		d.vals = append(d.vals, v)

		if more, ok = d.next(']'); !ok {
			return nil, false
		}
	}

	if len(d.vals)-base != n {
		return nil, false
	}

	return d.makeArray(base), true
}

// makeArray makes an array of the values on the stack from base, and pops them.
func (d *decoder) makeArray(base int) *types.Array {
	vals := d.vals[base:]
	if len(vals) == 0 {
		return types.MakeArray(0)
	}

	// NewArray keeps the slice: give it its own, of exactly the size MakeArray+Append would have.
	a, err := types.NewArray(append(make([]any, 0, len(vals)), vals...)...)

	clear(vals)
	d.vals = d.vals[:base]

	if err != nil {
		panic(err) // NewArray never fails
	}

	return a
}

// double decodes a JSON number as encoding/json decodes it into float64.
func (d *decoder) double() (any, bool) {
	tok, _, ok := d.number()
	if !ok {
		return nil, false
	}

	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		return nil, false
	}

	return f, true
}

// stringValue decodes a JSON string.
func (d *decoder) stringValue() (any, bool) {
	b, ok := d.str()
	if !ok {
		return nil, false
	}

	return string(b), true
}

// binary decodes base64 data as encoding/json decodes it into []byte.
func (d *decoder) binary(e *fastElem) (any, bool) {
	if !e.hasSubtype {
		return nil, false
	}

	s, ok := d.str()
	if !ok {
		return nil, false
	}

	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))

	n, err := base64.StdEncoding.Decode(b, s)
	if err != nil {
		return nil, false
	}

	return types.Binary{B: b[:n], Subtype: e.subtype}, true
}

// objectID decodes an ObjectID from its hex string.
func (d *decoder) objectID() (any, bool) {
	s, ok := d.str()
	if !ok || len(s) != 2*types.ObjectIDLen {
		return nil, false
	}

	var id types.ObjectID
	if _, err := hex.Decode(id[:], s); err != nil {
		return nil, false
	}

	return id, true
}

// boolean decodes true or false.
func (d *decoder) boolean() (any, bool) {
	switch {
	case d.literal("true"):
		return true, true
	case d.literal("false"):
		return false, true
	default:
		return nil, false
	}
}

// date decodes milliseconds since the epoch.
func (d *decoder) date() (any, bool) {
	ms, ok := d.integer(math.MinInt64, math.MaxInt64)
	if !ok {
		return nil, false
	}

	return time.UnixMilli(ms), true
}

// regex decodes a pattern; the options come from the schema.
func (d *decoder) regex(e *fastElem) (any, bool) {
	if !e.hasOptions {
		return nil, false
	}

	s, ok := d.str()
	if !ok {
		return nil, false
	}

	return types.Regex{Pattern: string(s), Options: e.options}, true
}

// int32 decodes a JSON integer that fits int32.
func (d *decoder) int32() (any, bool) {
	n, ok := d.integer(math.MinInt32, math.MaxInt32)
	if !ok {
		return nil, false
	}

	return int32(n), true
}

// int64 decodes a JSON integer that fits int64.
func (d *decoder) int64() (any, bool) {
	n, ok := d.integer(math.MinInt64, math.MaxInt64)
	if !ok {
		return nil, false
	}

	return n, true
}

// timestamp decodes a JSON integer that fits uint64.
func (d *decoder) timestamp() (any, bool) {
	n, ok := d.unsigned(math.MaxUint64)
	if !ok {
		return nil, false
	}

	return types.Timestamp(n), true
}

// unsigned decodes a JSON integer within [0, hi] as encoding/json does (by strconv.ParseUint,
// which rejects any sign, even in "-0").
func (d *decoder) unsigned(hi uint64) (uint64, bool) {
	tok, isInt, ok := d.number()
	if !ok || !isInt || tok[0] == '-' {
		return 0, false
	}

	var n uint64

	if len(tok) <= 19 { // cannot overflow uint64
		for _, c := range tok {
			n = n*10 + uint64(c-'0')
		}
	} else {
		var err error
		if n, err = strconv.ParseUint(string(tok), 10, 64); err != nil {
			return 0, false
		}
	}

	return n, n <= hi
}

// integer decodes a JSON integer within [lo, hi] as encoding/json does (by strconv.ParseInt),
// rejecting fractions and exponents as it does.
func (d *decoder) integer(lo, hi int64) (int64, bool) {
	tok, isInt, ok := d.number()
	if !ok || !isInt {
		return 0, false
	}

	var n int64

	if len(tok) <= 18 { // cannot overflow int64: the common case, without strconv's generality
		neg := tok[0] == '-'
		if neg {
			tok = tok[1:]
		}

		for _, c := range tok {
			n = n*10 + int64(c-'0')
		}

		if neg {
			n = -n
		}
	} else {
		var err error
		if n, err = strconv.ParseInt(string(tok), 10, 64); err != nil {
			return 0, false
		}
	}

	return n, n >= lo && n <= hi
}

// schema parses a schema object ("$s") into sch.
func (d *decoder) schema(sch *fastSchema) bool {
	if !d.enter() {
		return false
	}
	defer d.leave()

	more, ok := d.open('{')
	if !ok {
		return false
	}

	base := len(d.props)

	var seenP, seenK bool

	for more {
		key, ok := d.key()
		if !ok {
			return false
		}

		switch string(key) {
		case "p":
			ok = !seenP && d.properties()
			seenP = true
		case "$k":
			ok = !seenK && d.keyList(sch)
			seenK = true
		default: // unknown, or a different case that encoding/json would still match: leave it to it
			ok = false
		}

		if !ok {
			return false
		}

		if more, ok = d.next('}'); !ok {
			return false
		}
	}

	if hasDuplicates(sch.keys) {
		return false
	}

	d.resolve(sch, d.props[base:])
	clear(d.props[base:])
	d.props = d.props[:base]

	return true
}

// resolve sets the element of every key, as a lookup in the map the original decoder builds would
// (the last entry of a repeated name wins).
func (d *decoder) resolve(sch *fastSchema, props []propEntry) {
	sch.props = d.ptrs.take(len(sch.keys))

	if len(props) == len(sch.keys) { // "p" in the order of "$k", as Marshal writes it
		aligned := true
		for i, p := range props {
			if string(p.name) != sch.keys[i] {
				aligned = false
				break
			}
		}

		if aligned { // keys have no duplicates, so neither have names
			for i, p := range props {
				sch.props[i] = p.elem
			}

			return
		}
	}

	for i, k := range sch.keys {
		for j := len(props) - 1; j >= 0; j-- {
			if string(props[j].name) == k {
				sch.props[i] = props[j].elem
				break
			}
		}
	}
}

// properties parses the "p" object onto the props stack.
func (d *decoder) properties() bool {
	more, ok := d.open('{')
	if !ok {
		return false
	}

	for more {
		name, ok := d.key()
		if !ok {
			return false
		}

		e, ok := d.newElem()
		if !ok {
			return false
		}

		d.props = append(d.props, propEntry{name: name, elem: e})

		if more, ok = d.next('}'); !ok {
			return false
		}
	}

	return true
}

// keyList parses the "$k" array. All keys share one allocation: they become the document's keys.
func (d *decoder) keyList(sch *fastSchema) bool {
	more, ok := d.open('[')
	if !ok {
		return false
	}

	d.keyBuf, d.keyLens = d.keyBuf[:0], d.keyLens[:0]

	for more {
		d.skipWS()

		s, ok := d.str()
		if !ok {
			return false
		}

		d.keyBuf = append(d.keyBuf, s...)
		d.keyLens = append(d.keyLens, len(s))

		if more, ok = d.next(']'); !ok {
			return false
		}
	}

	all := string(d.keyBuf)
	sch.keys = d.strs.take(len(d.keyLens))

	for i, l := range d.keyLens {
		sch.keys[i], all = all[:l], all[l:]
	}

	return true
}

// newElem parses a schema element.
func (d *decoder) newElem() (*fastElem, bool) {
	d.skipWS()

	if rest := d.data[d.pos:]; len(rest) > 6 && string(rest[:6]) == `{"t":"` {
		for _, s := range sharedScalars[rest[6]] {
			if len(rest) >= len(s.json) && string(rest[:len(s.json)]) == s.json {
				d.pos += len(s.json)
				return s.elem, true
			}
		}
	}

	e := &d.elems.take(1)[0]

	return e, d.elem(e)
}

// elem parses a schema element object into e.
func (d *decoder) elem(e *fastElem) bool {
	more, ok := d.open('{')
	if !ok {
		return false
	}

	var seen uint8

	for more {
		key, ok := d.key()
		if !ok {
			return false
		}

		bit, ok := d.elemField(e, key)
		if !ok || seen&bit != 0 { // a repeated field would be merged by encoding/json
			return false
		}

		seen |= bit

		if more, ok = d.next('}'); !ok {
			return false
		}
	}

	return true
}

// elemField parses the value of one field of a schema element and returns a bit identifying the field.
func (d *decoder) elemField(e *fastElem, key []byte) (uint8, bool) {
	d.skipWS()

	switch string(key) {
	case "t":
		t, ok := d.str()
		e.kind = kindOf(t)

		return 1, ok
	case "$s":
		e.hasSchema = true
		return 2, d.schema(&e.schema)
	case "o":
		o, ok := d.str()
		e.options, e.hasOptions = string(o), true

		return 4, ok
	case "i":
		return 8, d.itemList(e)
	case "s":
		n, ok := d.unsigned(math.MaxUint8)
		e.subtype, e.hasSubtype = types.BinarySubtype(n), true

		return 16, ok
	default:
		return 0, false
	}
}

// itemList parses the "i" array.
func (d *decoder) itemList(e *fastElem) bool {
	if !d.enter() {
		return false
	}
	defer d.leave()

	more, ok := d.open('[')
	if !ok {
		return false
	}

	base := len(d.items)

	for more {
		item, ok := d.newElem()
		if !ok {
			return false
		}

		d.items = append(d.items, item)

		if more, ok = d.next(']'); !ok {
			return false
		}
	}

	e.items = d.ptrs.take(len(d.items) - base)
	copy(e.items, d.items[base:])
	clear(d.items[base:])
	d.items = d.items[:base]

	return true
}

// hasDuplicates reports whether keys has a repeated key.
func hasDuplicates(keys []string) bool {
	if len(keys) > 32 {
		seen := make(map[string]struct{}, len(keys))
		for _, k := range keys {
			if _, ok := seen[k]; ok {
				return true
			}

			seen[k] = struct{}{}
		}

		return false
	}

	for i, k := range keys {
		for _, k2 := range keys[:i] {
			if k == k2 {
				return true
			}
		}
	}

	return false
}

// enter and leave bound the nesting depth.
func (d *decoder) enter() bool {
	d.depth++
	return d.depth <= maxFastDepth
}

func (d *decoder) leave() { d.depth-- }

// skipWS skips JSON whitespace.
func (d *decoder) skipWS() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// open consumes the opening bracket c and reports whether the object or array has any members.
func (d *decoder) open(c byte) (more, ok bool) {
	d.skipWS()

	if d.pos >= len(d.data) || d.data[d.pos] != c {
		return false, false
	}

	d.pos++
	d.skipWS()

	if d.pos < len(d.data) && d.data[d.pos] == c+2 { // '{'+2 == '}', '['+2 == ']'
		d.pos++
		return false, true
	}

	return true, true
}

// next consumes the ',' or the closing bracket after a member and reports whether another member follows.
func (d *decoder) next(closing byte) (more, ok bool) {
	d.skipWS()

	if d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ',':
			d.pos++
			return true, true
		case closing:
			d.pos++
			return false, true
		}
	}

	return false, false
}

// key reads an object key and the colon after it.
func (d *decoder) key() ([]byte, bool) {
	d.skipWS()

	k, ok := d.str()
	if !ok {
		return nil, false
	}

	d.skipWS()

	if d.pos >= len(d.data) || d.data[d.pos] != ':' {
		return nil, false
	}

	d.pos++

	return k, true
}

// literal consumes lit if the input continues with it; the caller's next check rejects run-on tokens.
func (d *decoder) literal(lit string) bool {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return false
	}

	d.pos += len(lit)

	return true
}

// number scans a JSON number and reports whether it is an integer (no fraction or exponent).
func (d *decoder) number() (tok []byte, isInt, ok bool) {
	data, i := d.data, d.pos

	if i < len(data) && data[i] == '-' {
		i++
	}

	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && '1' <= data[i] && data[i] <= '9':
		i = skipDigits(data, i+1)
	default:
		return nil, false, false
	}

	isInt = true

	if i < len(data) && data[i] == '.' {
		isInt = false
		if i, ok = skipSomeDigits(data, i+1); !ok {
			return nil, false, false
		}
	}

	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		isInt = false
		i++

		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}

		if i, ok = skipSomeDigits(data, i); !ok {
			return nil, false, false
		}
	}

	tok = data[d.pos:i]
	d.pos = i

	return tok, isInt, true
}

// skipDigits returns the index of the first non-digit at or after i.
func skipDigits(data []byte, i int) int {
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		i++
	}

	return i
}

// skipSomeDigits is skipDigits that requires at least one digit.
func skipSomeDigits(data []byte, i int) (int, bool) {
	j := skipDigits(data, i)
	return j, j > i
}

// str reads a JSON string and returns its unquoted bytes, aliasing the input when there is nothing to unescape.
// Invalid UTF-8, which encoding/json would replace, is left to it.
func (d *decoder) str() ([]byte, bool) {
	data, i := d.data, d.pos
	if i >= len(data) || data[i] != '"' {
		return nil, false
	}

	i++
	start := i

	for i < len(data) && plainASCII[data[i]] {
		i++
	}

	if i < len(data) && data[i] == '"' { // the common case: nothing to check or unescape
		d.pos = i + 1
		return data[start:i], true
	}

	return d.complexStr(start, i)
}

// complexStr continues str from data[i] for a string with escapes or non-ASCII characters.
func (d *decoder) complexStr(start, i int) ([]byte, bool) {
	data := d.data

	for ; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			d.pos = i + 1
			return unescape(data[start:i])
		case c == '\\':
			i++ // the escaped character is checked by unescape; it must not end the string here
		case c < ' ':
			return nil, false
		}
	}

	return nil, false
}

// plainASCII tells the bytes that a JSON string may contain as they are and that need no further checks.
var plainASCII = func() (res [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		res[c] = c != '"' && c != '\\'
	}

	return
}()

// unescape validates and unquotes the contents of a JSON string as encoding/json does for valid UTF-8:
// a \u escape of an unpaired surrogate becomes U+FFFD.
func unescape(s []byte) ([]byte, bool) {
	if !utf8.Valid(s) {
		return nil, false
	}

	i := 0
	for i < len(s) && s[i] != '\\' {
		i++
	}

	if i == len(s) {
		return s, true
	}

	b := append(make([]byte, 0, len(s)), s[:i]...) // escapes never grow the text

	for i < len(s) {
		if s[i] != '\\' {
			b = append(b, s[i])
			i++

			continue
		}

		var ok bool
		if b, i, ok = appendEscape(b, s, i); !ok {
			return nil, false
		}
	}

	return b, true
}

// appendEscape appends the character of the escape at s[i] and returns the index after it.
func appendEscape(b, s []byte, i int) ([]byte, int, bool) {
	if i+1 >= len(s) {
		return nil, 0, false
	}

	switch c := s[i+1]; c {
	case '"', '\\', '/':
		return append(b, c), i + 2, true
	case 'b':
		return append(b, '\b'), i + 2, true
	case 'f':
		return append(b, '\f'), i + 2, true
	case 'n':
		return append(b, '\n'), i + 2, true
	case 'r':
		return append(b, '\r'), i + 2, true
	case 't':
		return append(b, '\t'), i + 2, true
	case 'u':
		r := hex4(s[i:])
		if r < 0 {
			return nil, 0, false
		}

		i += 6

		if utf16.IsSurrogate(r) {
			if dec := utf16.DecodeRune(r, hex4(s[i:])); dec != unicode.ReplacementChar {
				return utf8.AppendRune(b, dec), i + 6, true
			}

			r = unicode.ReplacementChar
		}

		return utf8.AppendRune(b, r), i, true
	default:
		return nil, 0, false
	}
}

// hex4 decodes a \uXXXX escape at the start of s, or returns -1.
func hex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}

	var r rune

	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}

		r = r*16 + rune(c)
	}

	return r
}

// skipValue validates and skips any JSON value; it is needed only to find a "$s" that is not first.
func (d *decoder) skipValue() bool {
	d.skipWS()

	if d.pos >= len(d.data) {
		return false
	}

	switch d.data[d.pos] {
	case '{', '[':
		return d.skipComposite()
	case '"':
		_, ok := d.str()
		return ok
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	default:
		_, _, ok := d.number()
		return ok
	}
}

// skipComposite validates and skips an object or array.
func (d *decoder) skipComposite() bool {
	if !d.enter() {
		return false
	}
	defer d.leave()

	c := d.data[d.pos]

	more, ok := d.open(c)
	if !ok {
		return false
	}

	for more {
		if c == '{' {
			if _, ok := d.key(); !ok {
				return false
			}
		}

		if !d.skipValue() {
			return false
		}

		if more, ok = d.next(c + 2); !ok {
			return false
		}
	}

	return true
}

// encoder is the state of one fast Marshal call: the schema and the values are written in one walk
// over the document, into separate buffers. Encoders are pooled to reuse the buffers.
type encoder struct {
	sch []byte
	val []byte
}

var encoderPool = sync.Pool{New: func() any { return new(encoder) }}

// marshalFast encodes d as Marshal does, or reports false if d has anything the original encoder
// fails or panics on (or that the fast one does not know), so that it can report it the same way.
func marshalFast(d *types.Document) ([]byte, bool) {
	if d == nil {
		return nil, false
	}

	e := encoderPool.Get().(*encoder)
	defer e.release()

	if !e.topLevel(d) {
		return nil, false
	}

	const head = `{"$s":`
	b := make([]byte, 0, len(head)+len(e.sch)+len(e.val)+1)
	b = append(b, head...)
	b = append(b, e.sch...)
	b = append(b, e.val...)

	return append(b, '}'), true
}

// release returns e to the pool unless a huge document made its buffers too big to keep.
func (e *encoder) release() {
	if cap(e.sch)+cap(e.val) > 1<<20 {
		return
	}

	e.sch, e.val = e.sch[:0], e.val[:0]
	encoderPool.Put(e)
}

// topLevel writes the top-level document's schema and its fields; unlike nested ones, Marshal
// writes their keys as they are, without escaping.
func (e *encoder) topLevel(d *types.Document) bool {
	keys, values := d.Keys(), d.Values()
	if hasDuplicates(keys) { // the original encoder panics on them (Document.Get)
		return false
	}

	if len(keys) == 0 {
		e.sch = append(e.sch, "{}"...)
		return true
	}

	e.sch = append(e.sch, `{"p":{`...)

	for i, k := range keys {
		if i > 0 {
			e.sch = append(e.sch, ',')
		}

		e.sch = append(appendJSONString(e.sch, k), ':')
		e.val = append(append(append(e.val, `,"`...), k...), `":`...)

		if !e.value(values[i]) {
			return false
		}
	}

	e.closeSchema(keys)

	return true
}

// closeSchema ends the "p" object of a non-empty document's schema and writes its "$k".
func (e *encoder) closeSchema(keys []string) {
	e.sch = append(e.sch, `},"$k":[`...)

	for i, k := range keys {
		if i > 0 {
			e.sch = append(e.sch, ',')
		}

		e.sch = appendJSONString(e.sch, k)
	}

	e.sch = append(e.sch, "]}"...)
}

// value writes the schema element of v and v itself.
func (e *encoder) value(v any) bool {
	switch v := v.(type) {
	case *types.Document:
		return e.document(v)
	case *types.Array:
		return e.array(v)
	case float64:
		return e.double(v)
	case string:
		e.sch = append(e.sch, `{"t":"string"}`...)
		e.val = appendJSONString(e.val, v)
	case types.Binary:
		e.binary(v)
	case types.ObjectID:
		e.sch = append(e.sch, `{"t":"objectId"}`...)
		e.val = append(hex.AppendEncode(append(e.val, '"'), v[:]), '"')
	case bool:
		e.sch = append(e.sch, `{"t":"bool"}`...)
		e.val = strconv.AppendBool(e.val, v)
	case time.Time:
		e.sch = append(e.sch, `{"t":"date"}`...)
		e.val = strconv.AppendInt(e.val, v.UnixMilli(), 10)
	case types.NullType:
		e.sch = append(e.sch, `{"t":"null"}`...)
		e.val = append(e.val, "null"...)
	case types.Regex:
		e.sch = append(appendJSONString(append(e.sch, `{"t":"regex","o":`...), v.Options), '}')
		e.val = appendJSONString(e.val, v.Pattern)
	case int32:
		e.sch = append(e.sch, `{"t":"int"}`...)
		e.val = strconv.AppendInt(e.val, int64(v), 10)
	case types.Timestamp:
		e.sch = append(e.sch, `{"t":"timestamp"}`...)
		e.val = strconv.AppendUint(e.val, uint64(v), 10)
	case int64:
		e.sch = append(e.sch, `{"t":"long"}`...)
		e.val = strconv.AppendInt(e.val, v, 10)
	default:
		return false
	}

	return true
}

// document writes a nested document.
func (e *encoder) document(d *types.Document) bool {
	if d == nil { // the original encoder panics on it
		return false
	}

	keys, values := d.Keys(), d.Values()
	if hasDuplicates(keys) {
		return false
	}

	e.sch = append(e.sch, `{"t":"object","$s":`...)

	if len(keys) == 0 {
		e.sch = append(e.sch, "{}}"...)
		e.val = append(e.val, "{}"...)

		return true
	}

	e.sch = append(e.sch, `{"p":{`...)
	e.val = append(e.val, '{')

	for i, k := range keys {
		if i > 0 {
			e.sch = append(e.sch, ',')
			e.val = append(e.val, ',')
		}

		e.sch = append(appendJSONString(e.sch, k), ':')
		e.val = append(appendJSONString(e.val, k), ':')

		if !e.value(values[i]) {
			return false
		}
	}

	e.closeSchema(keys)
	e.sch = append(e.sch, '}')
	e.val = append(e.val, '}')

	return true
}

// array writes a nested array.
func (e *encoder) array(a *types.Array) bool {
	if a == nil { // the original encoder panics on it
		return false
	}

	e.sch = append(e.sch, `{"t":"array","i":[`...)
	e.val = append(e.val, '[')

	for i := range a.Len() {
		if i > 0 {
			e.sch = append(e.sch, ',')
			e.val = append(e.val, ',')
		}

		v, _ := a.Get(i)
		if !e.value(v) {
			return false
		}
	}

	e.sch = append(e.sch, "]}"...)
	e.val = append(e.val, ']')

	return true
}

// double writes a float64 as encoding/json does; it cannot encode NaN and infinities.
func (e *encoder) double(f float64) bool {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return false
	}

	e.sch = append(e.sch, `{"t":"double"}`...)

	// like fmt's %g, but with ES6's exponent cutoffs and without padding the exponent
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}

	start := len(e.val)
	e.val = strconv.AppendFloat(e.val, f, format, -1, 64)

	if n := len(e.val); format == 'e' && n-start >= 4 && e.val[n-4] == 'e' && e.val[n-3] == '-' && e.val[n-2] == '0' {
		e.val[n-2] = e.val[n-1] // e-09 to e-9
		e.val = e.val[:n-1]
	}

	return true
}

// binary writes binary data as encoding/json writes []byte: nil as null, anything else as base64.
func (e *encoder) binary(b types.Binary) {
	e.sch = strconv.AppendUint(append(e.sch, `{"t":"binData","s":`...), uint64(b.Subtype), 10)
	e.sch = append(e.sch, '}')

	if b.B == nil {
		e.val = append(e.val, "null"...)
		return
	}

	e.val = append(base64.StdEncoding.AppendEncode(append(e.val, '"'), b.B), '"')
}

// appendJSONString appends s quoted as json.Marshal quotes strings: with <, > and & escaped,
// U+2028 and U+2029 escaped, and invalid UTF-8 replaced by U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0

	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}

			dst = appendASCIIEscape(append(dst, s[start:i]...), c)
			i++
			start = i

			continue
		}

		r, size := utf8.DecodeRuneInString(s[i:])

		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', "0123456789abcdef"[r&0xF])
		default:
			i += size
			continue
		}

		i += size
		start = i
	}

	return append(append(dst, s[start:]...), '"')
}

// htmlSafe tells the ASCII characters that json.Marshal writes as they are.
var htmlSafe = func() (res [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		res[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}

	return
}()

// appendASCIIEscape appends the escape json.Marshal writes for the ASCII character c.
func appendASCIIEscape(dst []byte, c byte) []byte {
	switch c {
	case '\\', '"':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	default:
		const hexDigits = "0123456789abcdef"
		return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
	}
}
