package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/patina-dev/patina/internal/buildinfo"
	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/mcpserver"
)

const mcpHelp = `Coding agents (Claude Code, Codex, Gemini CLI, editors) start this
command and speak the Model Context Protocol on its stdin and stdout. It
offers the tools scry (search indexed projects), read (the lines a result
points at, or a commit), related (files that change together), projects
(what is indexed) and mother_status (is the daemon up). It never reads,
accepts or returns a secret, a token or an identity; read gives only files
of registered projects that scrape would index (never .env files, keys,
binaries, or anything outside the project).

scry, read and related ask the daemon over the local socket (socket
activation starts it) and, when no daemon answers, work in this process,
as patina scry does.
Logs go to stderr; stdout carries protocol messages only.

Register it with Claude Code:  claude mcp add patina -- patina mcp
Other clients: see contrib/mcp/.`

func mcpVerb() *verb {
	v := &verb{name: "mcp", summary: "serve scry to coding agents over the Model Context Protocol (stdio)"}
	v.run = func(args []string) error {
		fs := flags("mcp")
		o := mcpFlags(fs)
		if err := parse(fs, "mcp [--mother URL] [--log-level LEVEL]", v.summary+".\n\n"+mcpHelp, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("mcp takes no arguments (got %q)", fs.Arg(0))
		}
		return runMCP(o)
	}
	return v
}

// legacyServeVerb keeps agent configs written for the original tool
// (`patina serve --mcp`) working. It is hidden: `patina mcp` is the name.
func legacyServeVerb() *verb {
	v := &verb{name: "serve", summary: "the MCP server under its old name (serve --mcp); use patina mcp", hidden: true}
	v.run = func(args []string) error {
		fs := flags("serve")
		asMCP := fs.Bool("mcp", false, "run the MCP server on stdio (the same as patina mcp)")
		o := mcpFlags(fs)
		if err := parse(fs, "serve --mcp [--mother URL] [--log-level LEVEL]", v.summary+".\n\n"+mcpHelp, args); err != nil {
			return err
		}
		if !*asMCP {
			return usagef("patina serve only runs the MCP server (serve --mcp, better spelt patina mcp); the daemon is patina mother serve")
		}
		if fs.NArg() > 0 {
			return usagef("serve --mcp takes no arguments (got %q)", fs.Arg(0))
		}
		return runMCP(o)
	}
	return v
}

type mcpOptions struct {
	mother, logLevel *string
}

func mcpFlags(fs *pflag.FlagSet) mcpOptions {
	return mcpOptions{
		mother:   fs.String("mother", "", "ask this daemon: unix:///PATH, tcp://HOST:PORT (token from $"+client.EnvToken+" or the token file) or ssh://[USER@]HOST (default $"+client.EnvMother+", then the local socket)"),
		logLevel: fs.String("log-level", "info", "debug, info, warn or error (logs go to stderr)"),
	}
}

func runMCP(o mcpOptions) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(*o.logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", *o.logLevel)
	}
	// A bad --mother is a start-up error, not a failure on every call.
	c, err := client.Open(*o.mother)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	proto, err := protocolStdout()
	if err != nil {
		return err
	}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		log.Warn("patina mcp speaks the Model Context Protocol on stdin/stdout; an MCP client starts it (see patina mcp --help)")
	}
	srv := mcpserver.New(mcpserver.Options{Mother: *o.mother, Log: log})
	defer srv.Close()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log.Info("patina mcp serving on stdio", "version", buildinfo.Version, "mother", c.Target, "pid", os.Getpid())
	err = srv.Run(ctx, &mcpserver.LineTransport{In: os.Stdin, Out: proto})
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if ctx.Err() != nil {
		log.Info("patina mcp: stopped by a signal")
	} else {
		log.Info("patina mcp: client disconnected")
	}
	return nil
}
