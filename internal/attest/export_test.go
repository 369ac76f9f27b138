package attest

// LinePAE is the PAE an EnvelopeSink made in place before a line's payload.
func LinePAE(l *EnvelopeLine) []byte { return l.pae }
