"""Evidence files a unit attaches to its reports, kept in GridFS."""
import base64
import binascii
import io

import gridfs
from bson import ObjectId
from bson.errors import InvalidId

from services.submissions import evidence
from services.submissions.domain import access
from thidua.errors import UnknownEvidence, ValidationFailed
from thidua.events import utcnow
from thidua.mongo import public
from thidua.rpc import rpc

BUCKET = "evidence"


def _decoded(data_base64):
    try:
        return base64.b64decode(data_base64, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise ValidationFailed("The file content is not valid base64.")


class Evidence:
    @rpc
    def store_evidence(self, unit_code, name, content_type, data_base64):
        """Keep an evidence file of a unit in GridFS; reports refer to it by ``file_id``."""
        caller = self.caller.require()
        self._get("units", unit_code)
        access.require_unit_officer(caller, unit_code, "attach its evidence")
        data = _decoded(data_base64)
        facts = evidence.check(name, content_type, data)
        return public(self._keep({"unit": unit_code, **facts, "uploaded_by": caller.id, "uploaded_at": utcnow()},
                                 data))

    def _keep(self, record, data):
        # GridFS cannot join a transaction: the file goes in first, and counts only once the
        # transaction below has recorded it; if that fails the file is removed again.
        bucket = gridfs.GridFSBucket(self.db, bucket_name=BUCKET)
        file_id = bucket.upload_from_stream(record["name"], io.BytesIO(data), metadata={"unit": record["unit"]})
        record = {"_id": str(file_id), **record}
        try:
            return self.uow.run(lambda tx: self._save(tx, "evidence", None, record, "evidence.store", "evidence",
                                                      {"unit": record["unit"]}))
        except Exception:
            bucket.delete(file_id)
            raise

    @rpc
    def get_evidence(self, file_id):
        """The file and its record (content as base64), for those who may read it
        (``access.may_read_evidence``)."""
        reader = self.caller.require()
        record, object_id = self._evidence_record(file_id)
        cluster_of = self._clusters()
        attached_to = [(r, cluster_of(r["cluster"])) for r in self.db.reports.find({"evidence.file_id": file_id})]
        access.require_evidence_reader(reader, record["unit"], attached_to)
        data = gridfs.GridFSBucket(self.db, bucket_name=BUCKET).open_download_stream(object_id).read()
        return {**public(record), "data_base64": base64.b64encode(data).decode()}

    def _evidence_record(self, file_id):
        record = self.db.evidence.find_one({"_id": file_id})
        try:
            object_id = ObjectId(file_id)
        except (InvalidId, TypeError):
            record = None
        if record is None:
            raise UnknownEvidence(f"No evidence file has the id {file_id!r}.")
        return record, object_id
