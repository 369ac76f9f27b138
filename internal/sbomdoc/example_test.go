package sbomdoc_test

import (
	"fmt"
	"os"

	"github.com/consign-dev/consign/internal/sbomdoc"
)

func ExampleCheck() {
	b, err := os.ReadFile("testdata/docs/cyclonedx-1.6.json")
	if err != nil {
		panic(err)
	}
	doc, err := sbomdoc.Decode(b)
	if err != nil {
		panic(err)
	}
	report := sbomdoc.Check(doc)
	for _, c := range report.Coverage {
		fmt.Printf("%-12s %6s %v\n", c.Element, sbomdoc.FormatPercent(c.Percent), c.Missing)
	}
	req, _ := sbomdoc.ParseRequirement("dependencies=100")
	fmt.Println(report.Require([]sbomdoc.Requirement{req}))
	// Output:
	// supplier      33.3% [beta@2.0 gamma]
	// name         100.0% []
	// version       66.6% [gamma]
	// identifiers   66.6% [gamma]
	// dependencies  66.6% [gamma]
	// author       100.0% []
	// timestamp    100.0% []
	// hashes        33.3% [beta@2.0 gamma]
	// licenses      66.6% [gamma]
	// SBOM does not meet the required coverage: dependencies 66.6% (100% required)
}

func ExampleDiff() {
	read := func(name string) *sbomdoc.Document {
		b, err := os.ReadFile(name)
		if err != nil {
			panic(err)
		}
		doc, err := sbomdoc.Decode(b)
		if err != nil {
			panic(err)
		}
		return doc
	}
	oldDoc := read("testdata/docs/spdx-2.3.json")
	newDoc := read("testdata/docs/cyclonedx-1.7.xml")
	newDoc.Components[0].Version = "1.1.0"
	changes := sbomdoc.Diff(oldDoc, newDoc)
	for _, c := range changes.Changed {
		fmt.Printf("%s %s -> %s\n", c.Name, c.OldVersion, c.NewVersion)
	}
	// Output:
	// alpha 1.0.0 -> 1.1.0
}
