package commands

import "regexp"

var regexpChannel = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,79}$`)
