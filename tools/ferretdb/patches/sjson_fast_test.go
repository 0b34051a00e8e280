// Tests of sjson_fast.go (added by the project, see tools/ferretdb/patches/sjson.patch): the fast decoder and
// encoder against the original ones, which the patch keeps as unmarshalSlow and marshalSlow.

package sjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// outcome is what one decoder or encoder call gave: a value, an error or a panic.
type outcome[T any] struct {
	v      T
	err    error
	panics any
}

// run calls f, catching a panic.
func run[T any](f func() (T, error)) (o outcome[T]) {
	defer func() {
		if p := recover(); p != nil {
			o.panics = p
		}
	}()

	o.v, o.err = f()

	return
}

// checkDecode decodes data with the original and the new Unmarshal, requires the same outcome,
// and returns whether the fast decoder handled the input itself.
func checkDecode(t *testing.T, data []byte) bool {
	t.Helper()

	expected := run(func() (*types.Document, error) { return unmarshalSlow(data) })
	actual := run(func() (*types.Document, error) { return Unmarshal(data) })

	var fastDoc *types.Document
	fast := run(func() (bool, error) {
		var ok bool
		fastDoc, ok = unmarshalFast(data)
		return ok, nil
	})
	require.Nil(t, fast.panics, "fast decoder panicked on %q", data)

	if expected.panics != nil || expected.err != nil {
		require.False(t, fast.v, "fast decoder accepted what the original rejects: %q", data)
		require.Equal(t, expected.panics, actual.panics, "%q", data)
		require.Equal(t, fmt.Sprint(expected.err), fmt.Sprint(actual.err), "%q", data)

		return false
	}

	require.Nil(t, actual.panics, "%q", data)
	require.NoError(t, actual.err, "%q", data)
	requireSameDoc(t, expected.v, actual.v)

	if fast.v {
		requireSameDoc(t, expected.v, fastDoc)
	}

	return fast.v
}

// requireSameDoc requires documents to be the same down to their internals (reflect.DeepEqual),
// and to the sign of zeros, which DeepEqual does not see.
func requireSameDoc(t *testing.T, expected, actual *types.Document) {
	t.Helper()

	require.True(t, reflect.DeepEqual(expected, actual), "documents differ:\n%#v\n%#v", expected, actual)
	require.True(t, sameFloatBits(expected, actual), "floats differ:\n%#v\n%#v", expected, actual)
}

// sameFloatBits compares all float64 values in a and b bit by bit.
func sameFloatBits(a, b any) bool {
	switch a := a.(type) {
	case *types.Document:
		for i, v := range a.Values() {
			if !sameFloatBits(v, b.(*types.Document).Values()[i]) {
				return false
			}
		}
	case *types.Array:
		for i := range a.Len() {
			if !sameFloatBits(must.NotFail(a.Get(i)), must.NotFail(b.(*types.Array).Get(i))) {
				return false
			}
		}
	case float64:
		return math.Float64bits(a) == math.Float64bits(b.(float64))
	}

	return true
}

// checkEncode encodes d with the original and the new Marshal, requires the same outcome,
// and returns the encoding (nil if there is none) and whether the fast encoder made it itself.
func checkEncode(t *testing.T, d *types.Document) ([]byte, bool) {
	t.Helper()

	expected := run(func() ([]byte, error) { return marshalSlow(d) })
	actual := run(func() ([]byte, error) { return Marshal(d) })

	require.Equal(t, fmt.Sprint(expected.panics), fmt.Sprint(actual.panics))
	require.Equal(t, fmt.Sprint(expected.err), fmt.Sprint(actual.err))
	require.Equal(t, string(expected.v), string(actual.v))

	fast, ok := marshalFast(d)
	if ok {
		require.Equal(t, string(expected.v), string(fast))
	}

	return actual.v, ok
}

// wrap makes a top-level document of one field "v" with the given schema element and value.
func wrap(sch, v string) []byte {
	return []byte(`{"$s":{"p":{"v":` + sch + `},"$k":["v"]},"v":` + v + `}`)
}

// elemJSON writes a test case's schema element, keeping what json.Marshal's omitempty would lose
// (an empty "i" differs from an absent one).
func elemJSON(e *elem) string {
	if e == nil {
		return "null"
	}

	var b strings.Builder

	b.WriteString(`{"t":` + string(must.NotFail(json.Marshal(e.Type))))

	if e.Schema != nil {
		b.WriteString(`,"$s":` + schemaJSON(e.Schema))
	}

	if e.Options != nil {
		b.WriteString(`,"o":` + string(must.NotFail(json.Marshal(*e.Options))))
	}

	if e.Items != nil {
		items := make([]string, len(e.Items))
		for i, it := range e.Items {
			items[i] = elemJSON(it)
		}

		b.WriteString(`,"i":[` + strings.Join(items, ",") + `]`)
	}

	if e.Subtype != nil {
		b.WriteString(`,"s":` + strconv.Itoa(int(*e.Subtype)))
	}

	return b.String() + "}"
}

// schemaJSON writes a test case's schema, with properties in the order of the keys.
func schemaJSON(s *schema) string {
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}

	order := make(map[string]int, len(s.Keys))
	for i, k := range s.Keys {
		order[k] = i
	}

	sort.Slice(names, func(i, j int) bool { return order[names[i]] < order[names[j]] })

	props := make([]string, len(names))
	for i, name := range names {
		props[i] = string(must.NotFail(json.Marshal(name))) + ":" + elemJSON(s.Properties[name])
	}

	return `{"p":{` + strings.Join(props, ",") + `},"$k":` + string(must.NotFail(json.Marshal(s.Keys))) + `}`
}

// TestFastExistingCases runs every test case of the package's own tests through both decoders and
// encoders, as the only field of a top-level document.
func TestFastExistingCases(t *testing.T) {
	t.Parallel()

	for _, set := range []struct {
		cases []testCase
		sch   string // for cases without their own schema
	}{
		{arrayTestCases, `{"t":"array","i":[]}`},
		{binaryTestCases, `{"t":"binData","s":0}`},
		{boolTestCases, `{"t":"bool"}`},
		{dateTimeTestCases, `{"t":"date"}`},
		{documentTestCases, `{"t":"object","$s":{}}`},
		{doubleTestCases, `{"t":"double"}`},
		{int32TestCases, `{"t":"int"}`},
		{int64TestCases, `{"t":"long"}`},
		{objectIDTestCases, `{"t":"objectId"}`},
		{regexTestCases, `{"t":"regex","o":""}`},
		{stringTestCases, `{"t":"string"}`},
		{timestampTestCases, `{"t":"timestamp"}`},
	} {
		for _, tc := range set.cases {
			sch := set.sch
			if tc.sch != nil {
				sch = elemJSON(tc.sch)
			}

			data := wrap(sch, tc.j)
			fast := checkDecode(t, data)
			assert.Equal(t, tc.jErr == "", fast, "%s: %s", tc.name, data)

			checkDecode(t, reorder(data))
			checkDecode(t, indent(data))

			if tc.v != nil {
				doc := must.NotFail(types.NewDocument("v", fromSJSON(tc.v)))
				b, fast := checkEncode(t, doc)
				require.True(t, fast, "%s", tc.name)
				require.True(t, checkDecode(t, b), "%s", b)
			}
		}
	}
}

// TestFastPackageDocuments checks the documents of the package's TestMarshalUnmarshal and TestUnmarshalInvalid.
func TestFastPackageDocuments(t *testing.T) {
	t.Parallel()

	valid := []string{
		`{"$s":{}}`,
		`{"$s": {"p": {"foo": {"t": "string"}}, "$k": ["foo"]}, "foo": "bar"}`,
	}
	for _, s := range valid {
		require.True(t, checkDecode(t, []byte(s)), s)
	}

	invalid := []string{
		`{"$s":{"p": {"foo": {"t": "string"}},"$k": ["foo"]}}`,
		`"foo"`,
		`{"$s":{"p": {"foo": {"t": "string"}},"$k": ["foo"]}, "foo": "bar"}foo`,
		`{"foo": "bar"}`,
		`{}`,
		`{"$s":{"p":{}, "$k": []}, "foo": "bar"}`,
		`{"$s": {"p": {"foo": {"t": "string"}}, "$k": ["foo"], "unknown": "field"}, "foo": "bar"}`,
		`{"$s": {"p": {"foo": {"t": "string"}}, "$k": ["foo"]}, "foo": "bar", "fizz": "buzz"}`,
		`{"$s": {"p": {"foo": {"t": "string"}}, "$k": ["foo"]}, "fizz": "buzz"}`,
	}
	for _, s := range invalid {
		require.False(t, checkDecode(t, []byte(s)), s)
	}
}

// TestFastEdgeCases covers what the original decoder accepts or rejects in less obvious ways.
func TestFastEdgeCases(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		data string
		fast bool // whether the fast decoder should handle it itself
	}{
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":1}`, true},
		{` {"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":1}`, true},
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":1} `, false},          // encoding/json rejects trailing spaces here
		{`{"a":1,"$s":{"p":{"a":{"t":"int"}},"$k":["a"]}}`, true},            // "$s" last
		{`{"$s":{"$k":["a"],"p":{"a":{"t":"int"}}},"a":1}`, true},            // "$k" first
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":1,"a":2}`, false},     // duplicate field
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a","a"]},"a":1,"b":2}`, false}, // duplicate key
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a","a"]},"a":1}`, false},
		{`{"$s":{"p":{"a":{"t":"int"},"a":{"t":"string"}},"$k":["a"]},"a":"x"}`, true}, // last "p" entry wins
		{`{"$s":{"p":{"a":{"t":"int"},"a":{"t":"string"}},"$k":["a"]},"a":1}`, false},
		{`{"$s":{"p":{"b":{"t":"int"},"a":{"t":"string"}},"$k":["a","b"]},"a":"x","b":1}`, true},
		{`{"$s":{"p":{"a":{"t":"int"},"x":{"t":"int"}},"$k":["a"]},"a":1}`, true}, // unused "p" entry
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"$s":{},"a":1}`, false},
		{`{"$s":{"p":{"$s":{"t":"int"}},"$k":["$s"]},"$s":1}`, false},
		{`{"$s":{"p":{},"$k":["a"]},"a":null}`, true}, // null needs no schema
		{`{"$s":{"$k":["a"]},"a":null}`, true},        // nor "p"
		{`{"$s":{"p":{"a":{"t":"foo"}},"$k":["a"]},"a":null}`, true},
		{`{"$s":{"p":{"a":{"t":"foo"}},"$k":["a"]},"a":1}`, false},
		{`{"$s":{"p":{"a":{"t":"null"}},"$k":["a"]},"a":1}`, false},
		{`{"$s":{"p":{"a":null},"$k":["a"]},"a":null}`, false},
		{`{"$s":{"p":{"a":{"t":"object"}},"$k":["a"]},"a":{}}`, false},                  // object without "$s"
		{`{"$s":{"p":{"a":{"t":"object","$s":{"$k":["x"]}}},"$k":["a"]},"a":{}}`, true}, // empty data ignores keys
		{`{"$s":{"p":{"a":{"t":"object","$s":{}}},"$k":["a"]},"a":{"x":1}}`, false},
		{`{"$s":{"p":{"a":{"t":"object","$s":{"p":{"x":{"t":"int"}},"$k":["x"]}}},"$k":["a"]},"a":{"$s":1,"x":1}}`, false},
		{`{"$s":{"p":{"a":{"t":"object","$s":{"p":{"$s":{"t":"int"}},"$k":["$s"]}}},"$k":["a"]},"a":{"$s":1}}`, true},
		{`{"$s":{"p":{"a":{"t":"array"}},"$k":["a"]},"a":[]}`, false}, // array without "i"
		{`{"$s":{"p":{"a":{"t":"array","i":[]}},"$k":["a"]},"a":[]}`, true},
		{`{"$s":{"p":{"a":{"t":"array","i":[{"t":"int"}]}},"$k":["a"]},"a":[]}`, false},
		{`{"$s":{"p":{"a":{"t":"array","i":[]}},"$k":["a"]},"a":[1]}`, false},
		{`{"$s":{"p":{"a":{"t":"array","i":[null]}},"$k":["a"]},"a":[null]}`, false},
		{`{"$s":{"p":{"a":{"t":"array","i":[{"t":"int"}]}},"$k":["a"]},"a":[1,]}`, false},
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":-0}`, true},
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":1.0}`, false},
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":1e2}`, false},
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":2147483648}`, false},
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":-2147483648}`, true},
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":"1"}`, false},
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":01}`, false},
		{`{"$s":{"p":{"a":{"t":"long"}},"$k":["a"]},"a":-9223372036854775808}`, true},
		{`{"$s":{"p":{"a":{"t":"long"}},"$k":["a"]},"a":9223372036854775808}`, false},
		{`{"$s":{"p":{"a":{"t":"long"}},"$k":["a"]},"a":-000}`, false},
		{`{"$s":{"p":{"a":{"t":"timestamp"}},"$k":["a"]},"a":18446744073709551615}`, true},
		{`{"$s":{"p":{"a":{"t":"timestamp"}},"$k":["a"]},"a":18446744073709551616}`, false},
		{`{"$s":{"p":{"a":{"t":"timestamp"}},"$k":["a"]},"a":-0}`, false},
		{`{"$s":{"p":{"a":{"t":"date"}},"$k":["a"]},"a":-62135596800000}`, true},
		{`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":-0}`, true},
		{`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":-0.0e-0}`, true},
		{`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":1E+308}`, true},
		{`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":1e309}`, false},
		{`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":1e-400}`, true},
		{`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":1.}`, false},
		{`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":.5}`, false},
		{`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":1e}`, false},
		{`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":Infinity}`, false},
		{`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":NaN}`, false},
		{`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":"NaN"}`, false},
		{`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":0x10}`, false},
		{`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":1_0}`, false},
		{`{"$s":{"p":{"a":{"t":"bool"}},"$k":["a"]},"a":true}`, true},
		{`{"$s":{"p":{"a":{"t":"bool"}},"$k":["a"]},"a":truex}`, false},
		{`{"$s":{"p":{"a":{"t":"bool"}},"$k":["a"]},"a":"true"}`, false},
		{`{"$s":{"p":{"a":{"t":"string"}},"$k":["a"]},"a":"\u00e9\ud83d\ude00\ud800\udc00\ud800x\udc00\u2028\/"}`, true},
		{`{"$s":{"p":{"a":{"t":"string"}},"$k":["a"]},"a":"\ud800\u0041"}`, true},
		{`{"$s":{"p":{"a":{"t":"string"}},"$k":["a"]},"a":"\'"}`, false},
		{`{"$s":{"p":{"a":{"t":"string"}},"$k":["a"]},"a":"\x"}`, false},
		{`{"$s":{"p":{"a":{"t":"string"}},"$k":["a"]},"a":"\u12"}`, false},
		{`{"$s":{"p":{"a":{"t":"string"}},"$k":["a"]},"a":"` + "\t" + `"}`, false},
		{`{"$s":{"p":{"a":{"t":"string"}},"$k":["a"]},"a":"` + "\xff" + `"}`, false}, // replaced by encoding/json
		{`{"$s":{"p":{"a":{"t":"string"}},"$k":["a"]},"a":"中文"}`, true},
		{`{"$s":{"p":{"\u0061":{"t":"string"}},"$k":["\u0061"]},"\u0061":"x"}`, true},
		{`{"$s":{"p":{"a":{"t":"string"}},"$k":["a"]},"A":"x"}`, false},
		{`{"$s":{"P":{"a":{"t":"string"}},"$k":["a"]},"a":"x"}`, false}, // encoding/json matches fields case-insensitively
		{`{"$s":{"p":{"a":{"T":"string"}},"$k":["a"]},"a":"x"}`, false},
		{`{"$s":{"p":{"a":{"t":"string","t":"int"}},"$k":["a"]},"a":1}`, false},
		{`{"$s":{"p":{"a":{"t":"string","x":1}},"$k":["a"]},"a":"x"}`, false},
		{`{"$s":{"p":{"a":{"t":"string","o":"i","i":[],"s":1,"$s":{}}},"$k":["a"]},"a":"x"}`, true},
		{`{"$s":{"p":{"a":{"t":"string","o":null}},"$k":["a"]},"a":"x"}`, false},
		{`{"$s":{"p":{"a":{"t":"regex","o":"im"}},"$k":["a"]},"a":"^a"}`, true},
		{`{"$s":{"p":{"a":{"t":"regex"}},"$k":["a"]},"a":"^a"}`, false},
		{`{"$s":{"p":{"a":{"t":"binData","s":128}},"$k":["a"]},"a":"Zm9v"}`, true},
		{`{"$s":{"p":{"a":{"t":"binData","s":255}},"$k":["a"]},"a":""}`, true},
		{`{"$s":{"p":{"a":{"t":"binData","s":256}},"$k":["a"]},"a":""}`, false},
		{`{"$s":{"p":{"a":{"t":"binData","s":-0}},"$k":["a"]},"a":""}`, false},
		{`{"$s":{"p":{"a":{"t":"binData","s":1.0}},"$k":["a"]},"a":""}`, false},
		{`{"$s":{"p":{"a":{"t":"binData"}},"$k":["a"]},"a":"Zm9v"}`, false},
		{`{"$s":{"p":{"a":{"t":"binData","s":0}},"$k":["a"]},"a":"Zm9"}`, false},
		{`{"$s":{"p":{"a":{"t":"binData","s":0}},"$k":["a"]},"a":"Zm\n9v"}`, true}, // base64 skips newlines
		{`{"$s":{"p":{"a":{"t":"binData","s":0}},"$k":["a"]},"a":[1,2]}`, false},   // encoding/json takes arrays too
		{`{"$s":{"p":{"a":{"t":"objectId"}},"$k":["a"]},"a":"0123456789ABCDEFabcdef01"}`, true},
		{`{"$s":{"p":{"a":{"t":"objectId"}},"$k":["a"]},"a":"0123456789abcdef0123456"}`, false},
		{`{"$s":{"p":{"a":{"t":"objectId"}},"$k":["a"]},"a":"0123456789abcdef0123456g"}`, false},
		{`{"$s":null}`, false},
		{`{"$s":{"p":null,"$k":[]}}`, false},
		{`{"$s":{"$k":null}}`, false},
		{`{"$s":{}} `, false},
		{`{"$s":{},}`, false},
		{`{"$s":{}`, false},
		{`[]`, false},
		{``, false},
	} {
		assert.Equal(t, tc.fast, checkDecode(t, []byte(tc.data)), "%s", tc.data)
	}
}

// TestFastDepth checks that deep nesting is left to encoding/json instead of overflowing anything.
func TestFastDepth(t *testing.T) {
	t.Parallel()

	for _, depth := range []int{10, maxFastDepth - 2, maxFastDepth + 10} {
		sch, val := `{"t":"int"}`, "1"
		for range depth {
			sch, val = `{"t":"array","i":[`+sch+`]}`, "["+val+"]"
		}

		checkDecode(t, wrap(sch, val))
	}
}

// visitDocument makes a document like the project's visits: ~30 answers, staff, scores, flags,
// violations and a history of changes, in Chinese and English.
func visitDocument(r *rand.Rand) *types.Document {
	oid := func() types.ObjectID {
		var id types.ObjectID
		for i := range id {
			id[i] = byte(r.IntN(256))
		}

		return id
	}
	at := func() time.Time { return time.UnixMilli(1_700_000_000_000 + r.Int64N(1e10)) }
	doc := func(pairs ...any) *types.Document { return must.NotFail(types.NewDocument(pairs...)) }

	answers := types.MakeArray(30)
	for i := range 30 {
		var value any = int32(r.IntN(5))
		if i%3 == 0 {
			value = []string{"yes", "no", "n/a", "是", "否"}[r.IntN(5)]
		}

		a := doc("itemKey", fmt.Sprintf("section%d.item%02d", i/10, i), "value", value)
		if i%4 == 0 {
			a.Set("comment", "门店卫生情况良好，员工着装整齐 \"ok\"\n第二行 <b>&</b>")
		}

		answers.Append(a)
	}

	staff := must.NotFail(types.NewArray(
		doc("userId", oid(), "name", "王小明", "role", "auditor"),
		doc("userId", oid(), "name", "Jane Doe", "role", "manager"),
	))

	scores := doc("total", 87.5, "hygiene", 92.25, "service", types.Null, "safety", 0.0, "weight", 1.0/3)

	flags := must.NotFail(types.NewArray(
		doc("code", "FOOD_TEMP", "level", int32(2), "raisedAt", at()),
		doc("code", "EXPIRED", "level", int32(3), "raisedAt", at()),
	))

	violations := must.NotFail(types.NewArray(
		doc("itemKey", "section1.item04", "severity", "major", "note", "冰箱温度超标（8°C）"),
	))

	history := types.MakeArray(3)
	for i := range 3 {
		changes := must.NotFail(types.NewArray(
			doc("field", "status", "before", "draft", "after", "submitted"),
			doc("field", "scores.total", "before", types.Null, "after", 87.5),
			doc("field", "answers.3.value", "before", int32(2), "after", int32(4)),
			doc("field", "reviewed", "before", false, "after", true),
		))
		history.Append(doc("at", at(), "by", oid(), "action", fmt.Sprintf("edit-%d", i), "changes", changes))
	}

	return doc(
		"_id", oid(),
		"storeId", oid(),
		"templateId", oid(),
		"status", "submitted",
		"rev", int32(7),
		"visitedAt", at(),
		"createdAt", at(),
		"updatedAt", at(),
		"answers", answers,
		"staff", staff,
		"scores", scores,
		"flags", flags,
		"violations", violations,
		"history", history,
		"tags", must.NotFail(types.NewArray("早班", "重点门店")),
		"location", doc("lat", 31.2304, "lng", 121.4737),
		"summary", "整体良好，需要改进冷链管理。",
		"signature", types.Binary{B: []byte("signature-png-bytes"), Subtype: types.BinaryGeneric},
	)
}

// TestFastVisit checks a realistic document both ways, and many truncations of it.
func TestFastVisit(t *testing.T) {
	t.Parallel()

	r := rand.New(rand.NewPCG(1, 2))
	doc := visitDocument(r)
	data, fast := checkEncode(t, doc)
	require.True(t, fast)
	require.Greater(t, len(data), 5000)
	require.Less(t, len(data), 12000)
	require.True(t, checkDecode(t, data))

	got := must.NotFail(Unmarshal(data))
	requireSameDoc(t, doc, got)

	require.True(t, checkDecode(t, reorder(data)))
	require.True(t, checkDecode(t, indent(data)))

	for i := 0; i < len(data); i += 1 + r.IntN(16) {
		require.False(t, checkDecode(t, data[:i]))
	}
}

// TestFastRandom checks random documents of all types both ways, then their encodings mutated at random.
func TestFastRandom(t *testing.T) {
	t.Parallel()

	r := rand.New(rand.NewPCG(3, 4))
	g := generator{r: r}

	for i := range 3000 {
		g.nasty = i%10 == 0 // strange keys, duplicates, NaN: only the outcomes must agree
		doc := g.document(0)

		data, fastEnc := checkEncode(t, doc)
		if data == nil {
			continue
		}

		fastDec := checkDecode(t, data)
		if !g.nasty {
			require.True(t, fastEnc)
			require.True(t, fastDec, "%s", data)
			require.True(t, checkDecode(t, reorder(data)))
			requireSameDoc(t, must.NotFail(unmarshalSlow(data)), must.NotFail(Unmarshal(indent(data))))
		}

		for range 10 {
			checkDecode(t, mutate(r, data))
		}

		checkDecode(t, retype(r, data))
	}
}

// TestFastMarshalErrors checks that what the original encoder fails or panics on fails the same way.
func TestFastMarshalErrors(t *testing.T) {
	t.Parallel()

	for _, d := range []*types.Document{
		must.NotFail(types.NewDocument("a", math.NaN())),
		must.NotFail(types.NewDocument("a", math.Inf(1))),
		must.NotFail(types.NewDocument("a", must.NotFail(types.NewArray(math.Inf(-1))))),
		must.NotFail(types.NewDocument("a", int32(1), "a", int32(2))),
		must.NotFail(types.NewDocument("a", must.NotFail(types.NewDocument("b", 1.0, "b", 2.0)))),
		must.NotFail(types.NewDocument("a", (*types.Document)(nil))),
		must.NotFail(types.NewDocument("a", (*types.Array)(nil))),
	} {
		_, fast := checkEncode(t, d)
		assert.False(t, fast)
	}

	// odd, but not errors: a top-level key is written unescaped, nil binary data as null
	for _, d := range []*types.Document{
		must.NotFail(types.NewDocument("a\"b", int32(1))),
		must.NotFail(types.NewDocument("a", types.Binary{})),
	} {
		_, fast := checkEncode(t, d)
		assert.True(t, fast)
	}

	assert.PanicsWithValue(t, "v is nil", func() { _, _ = Marshal(nil) })
}

// TestFastStrings checks string quoting and unquoting against encoding/json.
func TestFastStrings(t *testing.T) {
	t.Parallel()

	r := rand.New(rand.NewPCG(5, 6))

	for range 20000 {
		s := randomString(r, true)
		expected := string(must.NotFail(json.Marshal(s)))
		require.Equal(t, expected, string(appendJSONString(nil, s)), "%q", s)

		quoted := randomJSONString(r)
		var want string
		wantErr := json.Unmarshal([]byte(quoted), &want)

		d := decoder{data: []byte(quoted)}
		got, ok := d.str()

		whole := ok && d.pos == len(quoted) // the string does not end early, at an unescaped quote

		if wantErr != nil {
			require.False(t, whole, "%q", quoted)
			continue
		}

		if ok {
			require.True(t, whole, "%q", quoted)
			require.Equal(t, want, string(got), "%q", quoted)
		} else {
			require.False(t, utf8.ValidString(quoted), "%q", quoted) // only invalid UTF-8 is left to encoding/json
		}
	}
}

// TestFastDoubles checks number formatting against encoding/json, and parsing round trips.
func TestFastDoubles(t *testing.T) {
	t.Parallel()

	r := rand.New(rand.NewPCG(7, 8))
	values := []float64{
		0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.999999e-7, 1e-7, 1e20, 1e21, 999999999999999999999.0,
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 2.2250738585072014e-308, 1 << 53, 1<<53 + 1,
	}

	for range 20000 {
		values = append(values, math.Float64frombits(r.Uint64()), r.NormFloat64()*math.Pow(10, float64(r.IntN(40)-20)))
	}

	for _, f := range values {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}

		var e encoder
		require.True(t, e.double(f))
		require.Equal(t, string(must.NotFail(json.Marshal(f))), string(e.val))

		d := decoder{data: e.val}
		v, ok := d.double()
		require.True(t, ok)
		require.Equal(t, math.Float64bits(f), math.Float64bits(v.(float64)))
	}
}

// FuzzFastUnmarshal compares both decoders on arbitrary input (seeded with valid documents).
func FuzzFastUnmarshal(f *testing.F) {
	r := rand.New(rand.NewPCG(9, 10))
	g := generator{r: r}

	f.Add(must.NotFail(Marshal(visitDocument(r))))

	for range 20 {
		f.Add(must.NotFail(Marshal(g.document(0))))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
	})
}

// BenchmarkVisit compares the original and the new codec on the visit-like document.
func BenchmarkVisit(b *testing.B) {
	doc := visitDocument(rand.New(rand.NewPCG(1, 2)))
	data := must.NotFail(marshalSlow(doc))

	for _, bc := range []struct {
		name string
		f    func() error
	}{
		{"Unmarshal/old", func() error { _, err := unmarshalSlow(data); return err }},
		{"Unmarshal/new", func() error { _, err := Unmarshal(data); return err }},
		{"Marshal/old", func() error { _, err := marshalSlow(doc); return err }},
		{"Marshal/new", func() error { _, err := Marshal(doc); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))

			for b.Loop() {
				if err := bc.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// generator makes random documents with values of all types.
type generator struct {
	r     *rand.Rand
	nasty bool
}

func (g *generator) document(depth int) *types.Document {
	n := g.r.IntN(6)
	if depth == 0 {
		n = 1 + g.r.IntN(12)
	}

	d := types.MakeDocument(n)

	for range n {
		k := g.key(depth)
		if d.Has(k) && !g.nasty {
			continue
		}

		if d.Has(k) {
			d = must.NotFail(types.NewDocument(append(pairs(d), k, g.value(depth))...)) // a duplicate
			continue
		}

		d.Set(k, g.value(depth))
	}

	return d
}

// pairs returns the key/value pairs of d.
func pairs(d *types.Document) []any {
	var res []any
	for i, k := range d.Keys() {
		res = append(res, k, d.Values()[i])
	}

	return res
}

func (g *generator) key(depth int) string {
	if g.nasty && g.r.IntN(4) == 0 {
		return randomString(g.r, true)
	}

	keys := []string{"_id", "a", "b", "name", "value", "键", "$s", "", "with space", "x<y&z", "quote\"d", "p", "$k"}
	if depth == 0 { // Marshal writes top-level keys unescaped, so only those that need no escaping round-trip
		keys = []string{"_id", "a", "b", "name", "value", "键", "", "with space", "p", "$k", "t", "x<y&z"}
	}

	return keys[g.r.IntN(len(keys))]
}

func (g *generator) value(depth int) any {
	kinds := 13
	if depth >= 4 {
		kinds = 11 // no more nesting
	}

	switch g.r.IntN(kinds) {
	case 0:
		return g.double()
	case 1:
		return randomString(g.r, g.nasty)
	case 2:
		return g.binary()
	case 3:
		var id types.ObjectID
		for i := range id {
			id[i] = byte(g.r.IntN(256))
		}

		return id
	case 4:
		return g.r.IntN(2) == 0
	case 5:
		ms := []int64{0, -1, 1, math.MaxInt64, math.MinInt64, g.r.Int64N(1e15) - 5e14}[g.r.IntN(6)]
		return time.UnixMilli(ms)
	case 6:
		return types.Null
	case 7:
		return types.Regex{Pattern: randomString(g.r, g.nasty), Options: []string{"", "i", "imsx"}[g.r.IntN(3)]}
	case 8:
		return []int32{0, -1, 1, math.MaxInt32, math.MinInt32, g.r.Int32()}[g.r.IntN(6)]
	case 9:
		return types.Timestamp([]uint64{0, 1, math.MaxUint64, math.MaxInt64 + 1, g.r.Uint64()}[g.r.IntN(5)])
	case 10:
		return []int64{0, -1, math.MaxInt64, math.MinInt64, g.r.Int64()}[g.r.IntN(5)]
	case 11:
		return g.document(depth + 1)
	default:
		return g.array(depth + 1)
	}
}

func (g *generator) double() float64 {
	special := []float64{0, math.Copysign(0, -1), math.MaxFloat64, -math.SmallestNonzeroFloat64, 1e21, 1e-7, 0.1, 42}
	if g.nasty {
		special = append(special, math.NaN(), math.Inf(1), math.Inf(-1))
	}

	if g.r.IntN(2) == 0 {
		return special[g.r.IntN(len(special))]
	}

	f := math.Float64frombits(g.r.Uint64())
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 1.5
	}

	return f
}

func (g *generator) binary() types.Binary {
	var b []byte
	if n := g.r.IntN(20) - 2; n >= 0 { // nil sometimes: encoded as null
		b = make([]byte, n)
		for i := range b {
			b[i] = byte(g.r.IntN(256))
		}
	}

	return types.Binary{B: b, Subtype: types.BinarySubtype(g.r.IntN(256))}
}

func (g *generator) array(depth int) *types.Array {
	n := g.r.IntN(5)
	a := types.MakeArray(n)

	for range n {
		a.Append(g.value(depth))
	}

	return a
}

// randomString makes a string of ASCII, control characters, Chinese, emoji, line separators,
// and (if invalid) bytes that are not UTF-8.
func randomString(r *rand.Rand, invalid bool) string {
	parts := []string{"a", "Z", " ", "\"", "\\", "/", "<", ">", "&", "\n", "\t", "\x00", "\x1f", "\x7f",
		"中", "文", "é", "😀", "\u2028", "\u2029", "\ufffd", "\ufeff"}
	if invalid {
		parts = append(parts, "\xff", "\xc3", "\xed\xa0\x80")
	}

	var b strings.Builder
	for range r.IntN(12) {
		b.WriteString(parts[r.IntN(len(parts))])
	}

	return b.String()
}

// randomJSONString makes a quoted JSON string, valid or not, with all kinds of escapes.
func randomJSONString(r *rand.Rand) string {
	parts := []string{"a", " ", "中", "😀", `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0041`, `\u00e9`,
		`\u4e2d`, `\ud83d\ude00`, `\ud83d`, `\ude00`, `\uD83D\uDE00`, `\u2028`, `\u0000`}
	bad := []string{`\'`, `\x`, `\u12`, `\uZZZZ`, "\x01", `"`, "\xff", `\`}

	var b strings.Builder

	b.WriteByte('"')

	for range r.IntN(10) {
		if r.IntN(30) == 0 {
			b.WriteString(bad[r.IntN(len(bad))])
		} else {
			b.WriteString(parts[r.IntN(len(parts))])
		}
	}

	b.WriteByte('"')

	return b.String()
}

// mutate damages data at random: truncates it, drops, inserts or replaces a byte, or repeats a piece.
func mutate(r *rand.Rand, data []byte) []byte {
	b := bytes.Clone(data)
	i := r.IntN(len(b))
	junk := []byte(`{}[]",:0-1.eE+tfnul\ 9a$`)

	switch r.IntN(5) {
	case 0:
		return b[:i]
	case 1:
		return append(b[:i], b[i+1:]...)
	case 2:
		return append(b[:i], append([]byte{junk[r.IntN(len(junk))]}, b[i:]...)...)
	case 3:
		b[i] = junk[r.IntN(len(junk))]
		return b
	default:
		j := i + r.IntN(len(b)-i)
		return append(b[:j], append(bytes.Clone(data[i:j]), data[j:]...)...)
	}
}

// retype replaces one schema type name with another, so that data and schema disagree.
func retype(r *rand.Rand, data []byte) []byte {
	names := []string{"object", "array", "double", "string", "binData", "objectId", "bool", "date", "null",
		"regex", "int", "timestamp", "long"}
	from := `"t":"` + names[r.IntN(len(names))] + `"`
	to := `"t":"` + names[r.IntN(len(names))] + `"`

	return bytes.Replace(data, []byte(from), []byte(to), 1)
}

// indent adds whitespace everywhere it is allowed, except after the document (where encoding/json rejects it).
func indent(data []byte) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, data, "\n ", "\t"); err != nil {
		return data // not JSON: nothing to indent
	}

	return append([]byte(" \r\n"), b.Bytes()...)
}

// reorder rewrites data as PostgreSQL's jsonb would: object keys sorted by length, then bytes,
// and spaces after separators.
func reorder(data []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()

	var b bytes.Buffer
	if err := reorderValue(dec, &b); err != nil {
		return data // not JSON: nothing to reorder
	}

	return b.Bytes()
}

// reorderValue copies one JSON value from dec to b, sorting object keys.
func reorderValue(dec *json.Decoder, b *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}

	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '{':
			return reorderObject(dec, b)
		case '[':
			return reorderArray(dec, b)
		}

		return fmt.Errorf("unexpected %v", tok)
	case string:
		b.Write(must.NotFail(json.Marshal(tok)))
	case json.Number:
		b.WriteString(tok.String())
	default:
		b.Write(must.NotFail(json.Marshal(tok)))
	}

	return nil
}

func reorderObject(dec *json.Decoder, b *bytes.Buffer) error {
	type member struct{ key, value string }

	var members []member

	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}

		var v bytes.Buffer
		if err = reorderValue(dec, &v); err != nil {
			return err
		}

		members = append(members, member{k.(string), v.String()})
	}

	if _, err := dec.Token(); err != nil {
		return err
	}

	sort.SliceStable(members, func(i, j int) bool {
		if len(members[i].key) != len(members[j].key) {
			return len(members[i].key) < len(members[j].key)
		}

		return members[i].key < members[j].key
	})

	b.WriteByte('{')

	for i, m := range members {
		if i > 0 {
			b.WriteString(", ")
		}

		b.Write(must.NotFail(json.Marshal(m.key)))
		b.WriteString(": " + m.value)
	}

	b.WriteByte('}')

	return nil
}

func reorderArray(dec *json.Decoder, b *bytes.Buffer) error {
	b.WriteByte('[')

	for i := 0; dec.More(); i++ {
		if i > 0 {
			b.WriteString(", ")
		}

		if err := reorderValue(dec, b); err != nil {
			return err
		}
	}

	b.WriteByte(']')

	_, err := dec.Token()

	return err
}
