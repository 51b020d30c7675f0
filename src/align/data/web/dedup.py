"""Two small adaptations of datatrove's MinHash stages (signatures, buckets); the rest is datatrove's.

datatrove 0.10 passes shingles to ``xxhash.xxh64_intdigest`` as ``str``; xxhash 4 raises
"Strings must be encoded before hashing". :class:`MinhashSignature` encodes them first (the same
hash values xxhash 3 gave for UTF-8 text).
"""

from __future__ import annotations

from datatrove.pipeline.dedup.minhash import MinhashDedupBuckets, MinhashDedupSignature


def xxhash64_text(text: str) -> int:
    import xxhash

    return xxhash.xxh64_intdigest(text.encode("utf-8"))


def xxhash32_text(text: str) -> int:
    import xxhash

    return xxhash.xxh32_intdigest(text.encode("utf-8"))


class MinhashSignature(MinhashDedupSignature):
    """datatrove's ``MinhashDedupSignature`` with a str-safe xxhash."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.config.hash_config.hash_fc == "xxhash":
            self._hash_func = xxhash64_text if self.config.hash_config.precision == 64 else xxhash32_text


class MinhashBucketsBatched(MinhashDedupBuckets):
    """datatrove's ``MinhashDedupBuckets`` with several buckets per task.

    datatrove wants exactly one task per bucket; with 60 small buckets the per-task overhead of the
    executor (logs, stats, completion files) outweighs the work. Task ``rank`` of ``world_size``
    handles buckets ``rank, rank + world_size, …``, each exactly as datatrove's own task would.
    """

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        for bucket in range(rank, self.config.num_buckets, world_size):
            super().run(data, bucket, self.config.num_buckets)
