// Package testpeer helps wsactor's tests run the outside programs they
// test against (Chromium, Node, Python) and read what those print.
//
// A test that needs a program calls Require with the error of looking for
// it: when the program is missing the test is skipped with a message naming
// what to install, except under CI=true, where it fails, since CI installs
// every peer and must not pass by skipping.
//
// Start runs a program in a process group of its own and stops it, with
// the helpers it started, when the test ends; StartChromium starts headless
// Chromium that way with a fresh profile. Buffer collects a process's
// output while a test reads it.
package testpeer
