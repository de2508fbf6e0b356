"""`cove ask`: a grounded answer from your documents, streamed, then its numbered sources."""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from typing import Any


def add_commands(sub: Any) -> None:
    p = sub.add_parser("ask", help="ask a question; the answer cites your documents")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="how many passages to consider (default: settings answer_k)")
    p.add_argument("--model", metavar="PATH", help="use this GGUF instead of the configured/bundled model")
    p.add_argument("--scope", action="append", metavar="PATH", help="only use these files/folders (repeatable)")
    p.add_argument("--email", action="store_true", help="only use email")
    p.add_argument("-c", "--continue", dest="follow_up", action="store_true",
                   help="a follow-up: continue the most recent conversation")
    p.add_argument("--conversation", type=int, metavar="ID", help="continue this conversation")
    p.add_argument("--json", action="store_true", help="print one JSON object when done (no streaming)")
    from app.cli.mail import add_mail_filters

    add_mail_filters(p, include_email=False)
    p.set_defaults(handler=cmd_ask)


def cmd_ask(args: argparse.Namespace) -> int:
    from app.cli.errors import UsageError
    from app.cli.mail import mail_filter_kwargs
    from app.resident.client import request

    if args.k is not None and args.k < 1:
        raise UsageError("-k must be at least 1")
    if args.model and not os.path.isfile(args.model):
        raise UsageError(f"--model: no such file: {args.model}")

    filters = {k: v for k, v in mail_filter_kwargs(args).items() if k != "email_only"}
    scope = [os.path.abspath(os.path.expanduser(s)) for s in args.scope] if args.scope else None
    stop = threading.Event()
    # issue 12: a resident Cove (`cove serve`, the app) answers with its warm model; --model means this process's own.
    remote = None if args.model else request("ask", {
        "question": args.question, "k": args.k, "scope": scope, "email": args.email, "filters": filters,
        "follow_up": args.follow_up, "conversation": args.conversation})
    # Only light modules while a server works: importing the answering modules here (~0.1 s of CPU) cost the server's
    # first token ~0.5 s on 2 cores (app/answer/events.py).
    from app.answer.events import Done, Retrieved, Token
    from app.answer.record import cli_notice, evidence_json, flat, source_line, verdict_of
    from app.cli import hit_json
    from app.resident.client import RemoteAsk

    if remote is not None:
        assistant: Any = RemoteAsk(remote)
        events = assistant.events()
    else:
        from app.answer.assistant import Assistant
        from app.core import CoveCore

        core = CoveCore()
        assistant = Assistant(core, model_path=args.model)
        conversation = args.conversation
        if args.follow_up and conversation is None:
            recent = assistant.history.list_conversations()
            conversation = recent[0].id if recent else None
        if assistant.model_needs_preparing():
            from app.models.bundled_model import PREPARING_NOTICE

            print(PREPARING_NOTICE, file=sys.stderr, flush=True)
        # Load the model while retrieval loads the embedder: the two cold starts overlap instead of adding up.
        threading.Thread(target=lambda: assistant.llm, name="cove-load-model", daemon=True).start()
        events = assistant.ask(args.question, conversation_id=conversation, k=args.k, scope=scope,
                               email_only=args.email, stop_event=stop, filters=filters)
    done: Done | None = None
    streamed: list[str] = []
    # In a terminal the model's words stream dim and slanted: they are a draft until checked against the sources,
    # and what follows them says whether they stand (issue 11). NO_COLOR (no-color.org) turns that off.
    draft_on = "\x1b[2;3m" if not args.json and sys.stdout.isatty() and not os.environ.get("NO_COLOR") else ""
    try:
        for event in events:
            if isinstance(event, Token) and not args.json:
                sys.stdout.write((draft_on if not streamed else "") + event.text)
                streamed.append(event.text)
                sys.stdout.flush()
            elif isinstance(event, Retrieved) and not args.json and event.query != args.question:
                print(f"(searching for: {event.query})", file=sys.stderr)
            elif isinstance(event, Done):
                done = event
    except KeyboardInterrupt:
        if draft_on and streamed:
            sys.stdout.write("\x1b[0m")
        stop.set()
        print("\n(stopped)", file=sys.stderr)
        return 130
    if draft_on and streamed:
        sys.stdout.write("\x1b[0m")
    assert done is not None
    timings = {k: (round(v, 1) if isinstance(v, float) else v) for k, v in done.timings.items()
               if k in ("retrieve_ms", "select_ms", "ttft_ms", "verify_ms", "total_ms", "tokens", "tokens_per_s",
                        "prompt_tokens", "threads")}
    sources = [s for s in done.sources if s.cited] or list(done.sources)
    if args.json:
        out = {"answer": done.answer, "verified": done.verified, "not_found": done.not_found,
               "sources": [{**hit_json(s.hit, s.n), "cited": s.cited,
                            "evidence": [evidence_json(e) for e in s.evidence]} for s in sources],
               "timings": timings, "model": done.timings.get("model", ""),
               "conversation": getattr(assistant, "last_conversation_id", None)}
        if done.draft:
            out["draft"] = done.draft
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    if done.not_found:
        print(done.answer)
        return 0
    print()
    notice = cli_notice(verdict_of(done))
    if notice:  # the streamed words must not be read as fact: say so, then show what replaces them
        print(f"\n{notice}")
        if done.answer.strip() and flat(done.answer) != flat("".join(streamed)):
            print(done.answer)
    elif done.verified and getattr(done, "draft", ""):
        # the model's words did not answer the question; the answer was taken from the sources (an email's sender)
        print(f"\nFrom your documents instead: {done.answer}")
    elif flat(done.answer) != flat("".join(streamed)):
        # citations that matched no source were removed, the source the answer came from was added, or a sentence
        # was cut to the name, date or number asked for
        print(f"\nChecked against your documents: {done.answer}")
    if not done.answer.strip():
        print("(no answer)")
    print("\nSources:")
    for s in sources:
        h = s.hit
        where = f" ({h.locator})" if h.locator else ""
        extra = f" — {h.sender}, {h.date}, {h.subject}" if h.kind == "email" else ""
        print(f"  [{s.n}] {h.title} — {h.path}{where}{extra}")
        print(f"      {source_line(s, 240)}")
    sys.stdout.flush()
    print(f"\n({timings.get('tokens', 0)} tokens, first token {timings.get('ttft_ms', 0):.0f} ms, "
          f"{timings.get('tokens_per_s', 0):.1f} tokens/s; conversation {assistant.last_conversation_id}, "
          "follow up with `cove ask -c`)", file=sys.stderr)
    return 0
