package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/knowledge"
)

// toolError turns a failure of tool into the message the agent sees.
func toolError(tool string, err error) error {
	var api *client.APIError
	switch {
	case knowledge.IsInputError(err):
		return errors.New(argWords(tool, err.Error()))
	case errors.As(err, &api) && api.Status/100 == 4:
		return errors.New(argWords(tool, api.Msg))
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &api) && api.Status == 504:
		return fmt.Errorf("%s took too long and was stopped: try a narrower request (fewer words, one project)", tool)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s was cancelled", tool)
	}
	return fmt.Errorf("%s failed: %v", tool, argWords(tool, err.Error()))
}

// The engine's messages are written for the CLI and name its flags and
// verbs; an agent has the tools' arguments instead.
var (
	// Only scry searches several projects at once.
	oneProjectWords = strings.NewReplacer(
		"name one (--project), use --all-projects, or", "give project, or",
		"or use --project / --all-projects", "or give project",
	)
	argReplacer = strings.NewReplacer(
		"(--project)", "(the project argument)",
		"use --all-projects", "set all_projects",
		"--project / --all-projects", "project or all_projects",
		"--all-projects", "all_projects",
		"--project", "project",
		"`patina projects list`", "the projects tool",
	)
)

// argWords rewrites msg, written for the CLI, in tool's arguments.
func argWords(tool, msg string) string {
	if tool != "scry" {
		msg = oneProjectWords.Replace(msg)
	}
	return argReplacer.Replace(msg)
}
