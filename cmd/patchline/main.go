package main

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/bluekeyes/go-gitdiff/gitdiff"
	_ "github.com/go-git/go-git/v5"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/spf13/cobra"
)

func main() {}
