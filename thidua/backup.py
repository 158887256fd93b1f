"""Backup and restore of the services' databases, as BSON (every type kept), with a manifest.

    python -m thidua.backup dump DIR                 # each service's database, from MONGO_URI
    python -m thidua.backup restore DIR              # into MONGO_URI; refuses non-empty databases
    python -m thidua.backup restore DIR --force      # replaces them
    python -m thidua.backup restore DIR --db ranking=thidua_ranking_copy   # into another name

Each service has its own database (``SUBMISSIONS_DB``, ``RANKING_DB``, ``NOTIFICATIONS_DB``, read
as the services read them, from their ``config.yml``). The databases are read in one snapshot session:
every collection of each as of one moment, so a report, its audit entry and its outbox event are in
the dump together or not at all. ``DIR`` holds ``<service>/<collection>.bson`` (documents one after
the other, as mongodump writes them, in ``_id`` order) and ``manifest.json``: per collection its
document count, the SHA-256 of its file, its indexes and its options.

Restore reads and checks the whole dump before it writes anything: a file whose checksum or count
differs from the manifest, or a manifest of another format, is refused and nothing changes. It
refuses a target database that holds any document unless ``--force`` (which drops its collections
first), then writes each collection with its options, its documents and its indexes. Stop the services while
restoring (docs/operations.md, "Backup and restore"); dump and restore may use different
``MONGO_URI``s (``--uri``), which is how the data moves from the embedded server to a replica set.
"""
import argparse
import hashlib
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import bson
import pymongo
from bson import json_util
from bson.raw_bson import RawBSONDocument

FORMAT = 1
SERVICES = ("submissions", "ranking", "notifications")   # the services that own a database
MANIFEST = "manifest.json"
BATCH = 1000


_RAW = bson.CodecOptions(document_class=RawBSONDocument)   # the bytes as stored: dumped unchanged
_PLAIN = bson.CodecOptions(tz_aware=True, tzinfo=timezone.utc)


class BackupError(Exception):
    """A dump that cannot be restored, or a target that must not be overwritten: nothing was written."""


def databases(overrides=None):
    """``{service: database name}`` as the services read them (their config.yml, the environment)."""
    from thidua import config
    names = {service: config.load(service)["MONGO_DB"] for service in SERVICES}
    return {**names, **(overrides or {})}


def default_uri():
    from thidua import config
    return config.load("submissions")["MONGO_URI"]


def _collection_info(db):
    """Name, options and indexes of every collection (read before the snapshot: catalog commands
    run outside it), views and system collections left out."""
    found = {}
    for entry in db.list_collections():
        if entry.get("type", "collection") != "collection" or entry["name"].startswith("system."):
            continue
        indexes = [{**{k: v for k, v in index.items() if k not in ("v", "ns")}, "key": list(index["key"].items())}
                   for index in db[entry["name"]].list_indexes() if index["name"] != "_id_"]
        found[entry["name"]] = {"options": entry.get("options", {}), "indexes": indexes}
    return found


def dump_database(db, session, directory):
    """Every collection of ``db`` into ``directory``, read in the snapshot ``session``; returns the
    manifest's entry for it."""
    directory.mkdir(parents=True, exist_ok=True)
    collections = _collection_info(db)
    for collection, info in sorted(collections.items()):
        digest, count = hashlib.sha256(), 0
        with open(directory / f"{collection}.bson", "wb") as out:
            for raw in db[collection].with_options(codec_options=_RAW).find(
                    {}, session=session, sort=[("_id", pymongo.ASCENDING)]):
                out.write(raw.raw)
                digest.update(raw.raw)
                count += 1
        info.update(count=count, sha256=digest.hexdigest(), file=f"{directory.name}/{collection}.bson")
    return {"name": db.name, "collections": collections}


def dump(client, names, target):
    """Dump each service's database (``names``: ``{service: database}``) into ``target``."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    with client.start_session(snapshot=True) as session:   # one moment for every database
        manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(),
                    "databases": {service: dump_database(client[name], session, target / service)
                                  for service, name in names.items()}}
    (target / MANIFEST).write_text(json_util.dumps(manifest, indent=2))
    return manifest


def read_dump(source):
    """The manifest and every collection's documents, checked against it; :class:`BackupError` if
    anything differs."""
    source = Path(source)
    try:
        manifest = json_util.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source / MANIFEST} cannot be read: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is a dump of format {manifest.get('format')!r}; this tool reads {FORMAT}")
    documents = {}
    for service, entry in manifest["databases"].items():
        for collection, info in entry["collections"].items():
            path = source / info["file"]
            data = path.read_bytes() if path.exists() else b""
            if hashlib.sha256(data).hexdigest() != info["sha256"]:
                raise BackupError(f"{path} does not match its checksum in the manifest: the dump is damaged")
            decoded = bson.decode_all(data, _PLAIN)
            if len(decoded) != info["count"]:
                raise BackupError(f"{path} holds {len(decoded)} documents; the manifest says {info['count']}")
            documents[service, collection] = decoded
    return manifest, documents


def restore(client, source, names=None, force=False):
    """Restore the dump in ``source`` into each service's database (``names`` renames them);
    returns ``{service: database}``. Refuses, writing nothing, a damaged dump or (without
    ``force``) a target database holding any document."""
    manifest, documents = read_dump(source)
    targets = {service: (names or {}).get(service, entry["name"]) for service, entry in manifest["databases"].items()}
    occupied = [name for name in targets.values() if _holds_documents(client[name])]
    if occupied and not force:
        raise BackupError(f"{', '.join(occupied)} already hold data; restore into empty databases, "
                          "or pass --force to replace them")
    for service, entry in manifest["databases"].items():
        db = client[targets[service]]
        for name in db.list_collection_names():   # collection by collection: readWrite may do it
            db.drop_collection(name)
        for collection, info in entry["collections"].items():
            db.create_collection(collection, **info["options"])
            rows = documents[service, collection]
            for start in range(0, len(rows), BATCH):
                db[collection].insert_many(rows[start:start + BATCH], ordered=True, bypass_document_validation=True)
            for index in info["indexes"]:
                index = dict(index)
                db[collection].create_index([tuple(pair) for pair in index.pop("key")], **index)
    return targets


def _holds_documents(db):
    return any(db[name].find_one({}, projection={"_id": 1}) is not None for name in db.list_collection_names())


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m thidua.backup", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("dump", "restore"))
    parser.add_argument("directory")
    parser.add_argument("--uri", help="MongoDB to read or write (default: MONGO_URI, as the services)")
    parser.add_argument("--db", action="append", default=[], metavar="SERVICE=NAME",
                        help="the database of a service, when not the one its settings name")
    parser.add_argument("--force", action="store_true", help="restore: replace databases that hold data")
    args = parser.parse_args(argv)
    try:
        overrides = dict(item.split("=", 1) for item in args.db)
    except ValueError:
        parser.error("--db takes SERVICE=NAME")
    unknown = set(overrides) - set(SERVICES)
    if unknown:
        parser.error(f"--db names unknown services {sorted(unknown)}; the services are {', '.join(SERVICES)}")
    client = pymongo.MongoClient(args.uri or os.environ.get("MONGO_URI") or default_uri(), tz_aware=True)
    try:
        if args.command == "dump":
            manifest = dump(client, databases(overrides), args.directory)
            print(f"dumped {_summary(manifest)} into {args.directory}")
        else:
            targets = restore(client, args.directory, overrides, args.force)
            print(f"restored {args.directory} into {', '.join(f'{s}: {n}' for s, n in targets.items())}")
    except BackupError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    finally:
        client.close()
    return 0


def _summary(manifest):
    return ", ".join(f"{service} ({entry['name']}: {len(entry['collections'])} collections, "
                     f"{sum(c['count'] for c in entry['collections'].values())} documents)"
                     for service, entry in manifest["databases"].items())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
