package cli

import "testing"

func TestSizeFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		show    string
		wantErr bool
	}{
		{in: "806354944", want: 769 << 20, show: "769MiB"},
		{in: "769MiB", want: 769 << 20, show: "769MiB"},
		{in: "1.5GiB", want: 3 << 29, show: "1536MiB"},
		{in: "64GiB", want: 64 << 30, show: "64GiB"},
		{in: "100000", want: 100000, show: "100000"},
		{in: "100KB", want: 100000, show: "100000"},
		{in: "2KiB", want: 2048, show: "2KiB"},
		{in: "0", want: 0, show: "0"},
		{in: "12B", want: 12, show: "12"},
		{in: "1.5", wantErr: true},
		{in: "lots", wantErr: true},
		{in: "MiB", wantErr: true},
		{in: "9000000TiB", wantErr: true},
	}
	for _, tt := range tests {
		var n int64
		f := sizeFlag{&n}
		err := f.Set(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("Set(%q) = nil (%d), want an error", tt.in, n)
			}
			continue
		}
		if err != nil || n != tt.want {
			t.Errorf("Set(%q) = %d, %v; want %d", tt.in, n, err, tt.want)
		}
		if got := f.String(); got != tt.show {
			t.Errorf("Set(%q).String() = %q, want %q", tt.in, got, tt.show)
		}
	}
}
