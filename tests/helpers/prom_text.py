#!/usr/bin/env python3
"""Checks Prometheus text with the Prometheus client's own parser.

Reads the text of a /metrics scrape on stdin, parses it with
prometheus_client.parser (the reference Python client), and prints one JSON
object: {"samples": {name{labels}: value}, "types": {family: type}}. A text
the parser refuses, or a sample given twice, exits 1 with the reason.
Used by tests/service.rs; .ci/test installs prometheus_client.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    text = sys.stdin.read()
    samples, types = {}, {}
    try:
        for family in text_string_to_metric_families(text):
            types[family.name] = family.type
            for s in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                key = f"{s.name}{{{labels}}}" if labels else s.name
                if key in samples:
                    print(f"duplicate sample {key}", file=sys.stderr)
                    return 1
                samples[key] = s.value
    except Exception as e:  # the parser raises ValueError and others
        print(f"not valid Prometheus text: {e}", file=sys.stderr)
        return 1
    print(json.dumps({"samples": samples, "types": types}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
