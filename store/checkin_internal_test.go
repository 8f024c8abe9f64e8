package store

import (
	"encoding/json"
	"testing"
	"time"
)

// The hand-written record must be byte for byte what encoding/json writes,
// and read back by the decoder, for every kind of source and time.
func TestCheckinRecordMatchesEncodingJSON(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	tests := []struct {
		name string
		rec  checkinRecord
	}{
		{"message", checkinRecord{At: time.Date(2026, 11, 23, 9, 1, 2, 345678900, shanghai), Source: "msg:1795438234882788"}},
		{"utc whole second", checkinRecord{At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Source: "msg:1"}},
		{"negative offset", checkinRecord{At: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("", -(3*3600+30*60))), Source: "loc:x"}},
		{"empty source", checkinRecord{At: time.Date(2026, 6, 1, 0, 0, 0, 0, shanghai)}},
		{"quote in source", checkinRecord{At: time.Date(2026, 6, 1, 0, 0, 0, 0, shanghai), Source: `a"b\c`}},
		{"html in source", checkinRecord{At: time.Date(2026, 6, 1, 0, 0, 0, 0, shanghai), Source: "<a>&"}},
		{"chinese source", checkinRecord{At: time.Date(2026, 6, 1, 0, 0, 0, 0, shanghai), Source: "补签:张三"}},
		{"control character", checkinRecord{At: time.Date(2026, 6, 1, 0, 0, 0, 0, shanghai), Source: "a\nb\x7f"}},
		{"zero time", checkinRecord{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := encodeCheckinRecord(tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("encoded\n %s\nencoding/json writes\n %s", got, want)
			}
			back, err := decodeCheckinRecord(string(got))
			if err != nil {
				t.Fatal(err)
			}
			if !back.At.Equal(tc.rec.At) || back.Source != tc.rec.Source {
				t.Fatalf("decoded %+v, want %+v", back, tc.rec)
			}
		})
	}
	// A time encoding/json refuses is refused here too.
	if _, err := encodeCheckinRecord(checkinRecord{At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Fatal("year 10000 was encoded")
	}
}
