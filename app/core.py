"""The one core the CLI and the GUI both drive: settings → store, embedder, the single indexer (writer) and the
searcher. Heavy pieces (LanceDB, torch, the embedder) are created lazily on first use, never at import time."""
from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Sequence

from app import paths
from app.library import LibrarySnapshot, Origin, RootLog, build_snapshot, dropped_to_release, library_roots, roots_json
from app.settings import Settings

if TYPE_CHECKING:
    from indexer.embedding import Embedder
    from indexer.exclusions import Exclusions
    from indexer.hits import SearchHit
    from indexer.pipeline import Indexer
    from indexer.progress import IndexReport, ProgressCallback
    from indexer.reembed import Reembedder, ReembedProgress
    from indexer.retrieval import Searcher
    from indexer.store import DocRow, Store
    from indexer.watcher import FolderWatcher
    from indexer.writer_lock import WriterLock


class CoveCore:
    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None) -> None:
        self.settings = settings or Settings.load()
        self._embedder = embedder
        self._target_embedder: Embedder | None = None  # issue 12: what `embedder_backend` asks for; see `embedder`
        self._reembed_job: Reembedder | None = None
        self.notices: list[str] = []
        self._store: Store | None = None
        self._indexer: Indexer | None = None
        self._searcher: Searcher | None = None
        self._query_embedder: Embedder | None = None  # issue 12: queries embedded without torch, see `query_embedder`
        self._watcher: FolderWatcher | None = None  # issue 4: the folder watcher, once `watcher()` made one
        self._exclusions: Exclusions | None = None  # issue 13: forgotten paths, see indexer/exclusions.py
        self._roots: RootLog | None = None  # issue 15: how each root got into the index, see `roots`
        self._lock = threading.RLock()

    # --- lazily built parts --------------------------------------------------------------------------------------
    @property
    def target_embedder(self) -> Embedder:
        """The embedder the settings ask for (`embedder_backend`; the torch one if ONNX Runtime cannot run)."""
        with self._lock:
            if self._target_embedder is None:
                from indexer.embedders import make_embedder

                self._target_embedder = self._embedder or make_embedder(
                    self.settings.get_str("embedder_backend"), paths.embedder_cache_dir(),
                    batch_size=self.settings.get_int("embed_batch_size"), notify=self._notify)
            return self._target_embedder

    @property
    def embedder(self) -> Embedder:
        """The embedder of the index on disk: the target one, or, while an index built by another embedder waits to be
        re-embedded (`reembed_needed`), that one, so the old index keeps answering and is never mixed (issue 12)."""
        with self._lock:
            if self._embedder is None:
                from indexer.embedders import embedder_for_id
                from indexer.store import SCHEMA_VERSION, index_meta

                target = self.target_embedder
                meta = index_meta(paths.index_dir())
                found = meta.get("embedder_id", target.id)
                old = None
                if found != target.id and meta.get("schema_version") == str(SCHEMA_VERSION):
                    old = embedder_for_id(found, paths.embedder_cache_dir(),
                                          batch_size=self.settings.get_int("embed_batch_size"))
                self._embedder = old or target
            return self._embedder

    def reembed_needed(self) -> dict[str, str] | None:
        """{"from": id, "to": id} when the index on disk was built by another embedder than the settings ask for."""
        emb, target = self.embedder, self.target_embedder
        return None if emb.id == target.id else {"from": emb.id, "to": target.id}

    def reembed(self, on_progress: Callable[[ReembedProgress], None] | None = None,
                cancel: threading.Event | None = None) -> bool:
        """Re-embed the stored chunks with the target embedder (old index answering meanwhile), then swap. Returns
        True when the index now uses the target embedder, False if cancelled (the next run resumes)."""
        if self.reembed_needed() is None:
            return True
        from indexer.reembed import Reembedder

        job = Reembedder(self.open_store_for_writing(), self.target_embedder,
                         writing=lambda: self.indexer.writing("re-embedding the index"),
                         on_progress=on_progress, cancel=cancel)
        self._reembed_job = job
        try:
            if not job.run():
                return False
        finally:
            self._reembed_job = None
        with self._lock:  # the store already swapped its table: move every user of vectors to the new embedder
            self._embedder = self.target_embedder
            self._query_embedder = None
            if self._indexer is not None:
                self._indexer.embedder = self._embedder
            if self._searcher is not None:
                self._searcher.embedder = self.query_embedder
        return True

    def _notify(self, message: str) -> None:
        """A message for the user from the core (the embedder fell back); the CLI prints it, the GUI shows it."""
        import logging

        self.notices.append(message)
        logging.getLogger("cove").warning(message)

    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                from indexer.store import Store

                self._store = Store(paths.index_dir(), self.embedder.id, self.embedder.dim, rebuild_on_mismatch=False)
            return self._store

    def open_store_for_writing(self, rebuild: bool = False) -> Store:
        with self._lock:
            if rebuild and self._store is None:
                self._embedder = self.target_embedder  # a rebuild starts over with the embedder the settings ask for
            if self._store is None:
                from indexer.store import Store

                self._store = Store(paths.index_dir(), self.embedder.id, self.embedder.dim, rebuild_on_mismatch=rebuild)
            return self._store

    @property
    def indexer(self) -> Indexer:
        with self._lock:
            if self._indexer is None:
                from indexer.pipeline import IndexConfig, Indexer

                s = self.settings
                config = IndexConfig(
                    max_file_mb=s.get_float("max_file_mb"),
                    chunk_tokens=s.get_int("chunk_tokens"),
                    overlap_tokens=s.get_int("chunk_overlap_tokens"),
                    ignore_globs=tuple(s.get_list("ignore_globs")),
                    ocr=s.get_bool("ocr"),
                    parse_timeout_s=s.get_float("parse_timeout_s"),  # issue 13: parse worker limits
                    parse_memory_mb=s.get_float("parse_memory_mb"),
                    max_unpacked_mb=s.get_float("max_unpacked_mb"),
                    max_attachment_mb=s.get_float("max_attachment_mb"),
                    index_secrets=s.get_bool("index_secrets"),
                )
                self._indexer = Indexer(self.open_store_for_writing(), self.embedder, config,
                                        exclusions=self.exclusions, lock=self.writer_lock)
            return self._indexer

    @property
    def exclusions(self) -> Exclusions:
        """Paths the user forgot: no way into the index takes them until the user lifts the entry."""
        with self._lock:
            if self._exclusions is None:
                from indexer.exclusions import Exclusions

                self._exclusions = Exclusions(paths.data_dir())
            return self._exclusions

    @property
    def roots(self) -> RootLog:
        """How each root got into the library (app/library.py), in the data dir beside the index."""
        with self._lock:
            if self._roots is None:
                self._roots = RootLog(paths.data_dir())
            return self._roots

    @property
    def writer_lock(self) -> WriterLock:
        """The one-writer-across-processes lock (data_dir/index.lock); see indexer/writer_lock.py."""
        from indexer.writer_lock import LOCK_NAME, writer_lock

        return writer_lock(paths.data_dir() / LOCK_NAME)

    def index_again(self, paths_: Sequence[str]) -> list[str]:
        """The explicit user action that lifts the exclusion on exactly these paths (`cove index PATH`, "Index
        again" in the library). A lifted mail store goes back into `mail_stores`. Returns the lifted paths."""
        lifted = []
        for e in self.exclusions.items():
            if e.path in {os.path.abspath(os.path.expanduser(p)).rstrip(os.sep) for p in paths_}:
                lifted.append(e)
        self.exclusions.lift([e.path for e in lifted])
        stores = self.settings.get_paths("mail_stores")
        back = [e.path for e in lifted if e.kind == "mail store" and e.path not in stores]
        if back:
            self.settings.set("mail_stores", stores + back)
            self.settings.save()
        return [e.path for e in lifted]

    @property
    def searcher(self) -> Searcher:
        with self._lock:
            if self._searcher is None:
                from indexer.retrieval import Searcher

                self._searcher = Searcher(self.store, self.query_embedder)
            return self._searcher

    @property
    def query_embedder(self) -> Embedder:
        """What embeds search queries: the torch-free numpy MiniLM when the index uses the bundled torch MiniLM (same
        vectors, no 9 s torch import; indexer/query_embedding.py), else the index embedder itself."""
        with self._lock:
            if self._query_embedder is None:
                from indexer.embedding import EMBEDDER_ID, SentenceTransformerEmbedder

                emb = self.embedder  # cheap: its weights load on first embed
                if type(emb) is SentenceTransformerEmbedder and emb.id == EMBEDDER_ID:
                    from indexer.query_embedding import NumpyMiniLM

                    from indexer.query_embedding import CachedEmbedder

                    self._query_embedder = CachedEmbedder(NumpyMiniLM())  # bounded: repeated queries/sentences
                else:
                    from indexer.query_embedding import CachedEmbedder

                    self._query_embedder = CachedEmbedder(emb)  # the ONNX embedder: no torch either, same LRU
            return self._query_embedder

    # --- operations ----------------------------------------------------------------------------------------------
    def index(self, paths_: Sequence[str], *, origin: Origin | None = None, on_progress: ProgressCallback | None = None,
              cancel: threading.Event | None = None, remove_missing: bool = True) -> IndexReport:
        """Index files and folders. `origin` records how they came in ("cli" for `cove index`, "drop" for a drag onto
        the window), so the library and `cove status` can say so; None for re-indexing what is already a root."""
        if threading.current_thread() is not threading.main_thread():
            from indexer.priority import lower_this_thread

            lower_this_thread()  # a worker thread that indexes (GUI, server) stays low priority (issue 12)
        if origin is not None:
            self.roots.record(paths_, origin)
        return self.indexer.index_paths(list(paths_), on_progress=on_progress, cancel=cancel,
                                        remove_missing=remove_missing)

    def search(self, query: str, k: int | None = None, **kwargs: Any) -> list[SearchHit]:
        """kwargs: those of `indexer.retrieval.Searcher.search` (scope, email_only, mode, sender, since, until...)."""
        return self.searcher.search(query, k or self.settings.get_int("search_k"), **kwargs)

    def status(self) -> dict[str, Any]:
        from app.logs import log_path
        from indexer.store import Store

        store: Store = self.store
        docs = store.load_documents().values()
        library = self.library(docs)
        by_kind: dict[str, Counter[str]] = {}
        for d in docs:
            by_kind.setdefault(d.kind or "file", Counter())[d.status] += 1
        errors = sorted(({"path": d.path, "status": d.status, "reason": d.error} for d in docs if d.status != "indexed"),
                        key=lambda e: (e["status"], e["path"]))
        totals = Counter(d.status for d in docs)
        return {
            "data_dir": str(paths.data_dir()),
            "log": str(log_path()),  # issue 15: where failures are written (app/logs.py), to look at or send
            "index_dir": str(store.directory),
            "embedder": {"id": store.embedder_id, "dim": store.dim},
            "reembed": self._reembed_json(),  # issue 12: null, or the switch to another embedder, with progress
            "documents": sum(totals.values()),
            "by_status": {k: totals.get(k, 0) for k in ("indexed", "skipped", "error")},
            "by_kind": {kind: dict(c) for kind, c in sorted(by_kind.items())},
            "chunks": store.chunk_count(),
            "ocr_pages": sum(d.ocr_pages for d in docs),  # issue 14: pages whose text came from OCR
            "ocr_documents": sum(1 for d in docs if d.ocr_pages),
            "problems": errors,
            "watched": self.watch_status(docs),
            "roots": roots_json(library),  # issue 15: every root with how it got there (origin) and its counts
            "excluded": [{"path": e.path, "kind": e.kind, "since": e.since} for e in self.exclusions.items()],
            "writer": self._writer_json(),
        }

    def _reembed_json(self) -> dict[str, Any] | None:
        need = self.reembed_needed()
        if need is None:
            return None
        job = self._reembed_job
        return {**need, "state": "running" if job is not None else "needed",
                "done": job.done if job is not None else 0, "total": job.total if job is not None else self.store.chunk_count()}

    def _writer_json(self) -> dict[str, Any] | None:
        """Who holds the writer lock right now (None when nobody writes)."""
        h = self.writer_lock.holder()
        return None if h is None else {"pid": h.pid, "what": h.what, "since": h.since}

    # --- the library (issue 15): roots, their origins and counts -----------------------------------------------------
    def mail_stores(self) -> list[str]:
        return self.settings.get_paths("mail_stores")

    def set_mail_stores(self, stores: Sequence[str]) -> None:
        self.settings.set("mail_stores", [os.path.abspath(os.path.expanduser(p)) for p in stores])
        self.settings.save()

    def library_roots(self) -> list[tuple[str, Origin]]:
        """Every root and how it got there: watched folders and mail stores (settings), then the logged ones."""
        return library_roots(self.watched_folders(), self.mail_stores(), self.roots.items())

    def library(self, docs: Iterable[DocRow] | None = None, max_problems: int = 500) -> LibrarySnapshot:
        """Per-root counts, origins and problems: what the desktop library shows and `cove status` prints."""
        store = self.store
        if docs is None:
            docs = store.load_documents().values()
        return build_snapshot(docs, self.library_roots(), store.chunk_count(), max_problems)

    def dropped_to_release(self, dropped: Sequence[str]) -> list[str]:
        """Dropped items the user stopped asking about that leave the index again: none while `remember_dropped` is
        on; else those not also inside a watched folder, mail store or folder indexed with `cove index`."""
        if self.settings.get_bool("remember_dropped"):
            return []
        return dropped_to_release(dropped, self.library_roots())

    # --- live folders (issue 4) ----------------------------------------------------------------------------------
    def watched_folders(self) -> list[str]:
        return self.settings.get_paths("watched_folders")

    def set_watched(self, folder: str, watched: bool = True) -> bool:
        """Add or remove a watched folder in the user's settings (saved); a running watcher follows. True if changed."""
        folder = os.path.abspath(os.path.expanduser(folder))
        current = self.watched_folders()
        if (folder in current) == watched:
            return False
        self.settings.set("watched_folders", current + [folder] if watched else [f for f in current if f != folder])
        self.settings.save()
        self.roots.record([folder], "watched")  # once unwatched, its documents stay "a folder no longer watched"
        if self._watcher is not None and self._watcher.running:
            (self._watcher.add_folder if watched else self._watcher.remove_folder)(folder)
        return True

    def watcher(self, folders: Sequence[str] | None = None, **kwargs: Any) -> FolderWatcher:
        """A `FolderWatcher` over this core's indexer (not started). kwargs: on_event, on_progress, force_polling..."""
        from indexer.watcher import FolderWatcher

        with self._lock:
            self._watcher = FolderWatcher(self.indexer, list(self.watched_folders() if folders is None else folders),
                                          state_dir=paths.data_dir() / "journal",
                                          debounce_s=self.settings.get_float("debounce_seconds"), **kwargs)
            return self._watcher

    def watch_status(self, docs: Iterable[DocRow] | None = None) -> list[dict[str, Any]]:
        """Each watched folder: state, files, pending changes (live from whichever process runs the watcher)."""
        from dataclasses import asdict

        from indexer.watch_state import folder_report

        if docs is None:
            docs = self.store.load_documents().values()
        folders = self.watched_folders()
        if self._watcher is not None and self._watcher.running:
            folders += [s.path for s in self._watcher.status() if s.path not in folders]
        return [asdict(s) for s in folder_report(folders, docs, paths.data_dir() / "journal")]

    def close(self) -> None:
        with self._lock:
            if self._watcher is not None:
                self._watcher.stop()
                self._watcher = None
            if self._store is not None:
                self._store.close()
            self._store = self._indexer = self._searcher = None


def locations_of(core: CoveCore, hits: list[SearchHit]) -> dict[str, list[str]]:
    """Every stored location of the email hits (the owner's path first): `cove search` prints them and the resident
    server sends them (which is why this lives here and not in app/cli/: the server must not import the CLI)."""
    if not any(h.kind == "email" for h in hits):
        return {}
    from indexer.mail import locations

    docs = core.searcher.documents()
    return {h.doc_id: locations(docs, h.doc_id) for h in hits if h.kind == "email"}
