#!/usr/bin/env python3
"""Microsoft Presidio's pattern recognizers over a labelled corpus (`modicum corpus`), for
`modicum scrub --report CORPUS --other presidio=FINDINGS`.

Usage: presidio_scan.py CORPUS.jsonl [--preset default|all] [--threshold T] > FINDINGS.jsonl

Runs without a spaCy model: Presidio's no-op NLP engine, and only the recognizers that need
no model or service (regular expressions with Presidio's own checksums and context rules; the
phone recognizer uses the `phonenumbers` library). `default` is the set Presidio enables for
English in its conf/default_recognizers.yaml; `all` adds every country-specific one (UK, India,
Germany, …). Context words cannot raise scores without an NLP model.

Writes one line per corpus line: {"spans": [{"start", "end", "entity", "score"}]} with UTF-8
byte offsets, as the report reads them.
"""
import argparse
import inspect
import json
import logging
import os
import sys
import warnings

# The email recognizer asks tldextract, whose default instance downloads the public suffix
# list on first use: use the snapshot shipped in the package, offline.
import tldextract

tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

import yaml  # noqa: E402
import presidio_analyzer  # noqa: E402
from presidio_analyzer import AnalyzerEngine, LocalRecognizer, RecognizerRegistry  # noqa: E402
from presidio_analyzer import predefined_recognizers as predefined  # noqa: E402
from presidio_analyzer.nlp_engine import NoOpNlpEngine  # noqa: E402

NEEDS_A_MODEL = {
    "SpacyRecognizer", "StanzaRecognizer", "TransformersRecognizer", "GLiNERRecognizer",
    "HuggingFaceNerRecognizer", "MedicalNERRecognizer", "AzureAILanguageRecognizer",
    "AzureHealthDeidRecognizer", "LangExtractRecognizer", "AzureOpenAILangExtractRecognizer",
    "BasicLangExtractRecognizer",
}
# Where the corpus's phone numbers come from.
REGIONS = ("US", "GB", "CN", "DE", "FR", "IN")


def default_names():
    conf = os.path.join(os.path.dirname(presidio_analyzer.__file__), "conf",
                        "default_recognizers.yaml")
    with open(conf, encoding="utf-8") as f:
        entries = yaml.safe_load(f)["recognizers"]
    names = set()
    for r in entries:
        if r.get("type") != "predefined" or r.get("enabled", True) is False:
            continue
        langs = [x["language"] if isinstance(x, dict) else x
                 for x in (r.get("supported_languages") or ["en"])]
        if "en" in langs:
            names.add(r.get("class_name") or r["name"])
    return names


def engine(preset):
    wanted = default_names() if preset == "default" else None
    registry = RecognizerRegistry(supported_languages=["en"])
    for name in sorted(predefined.__all__):
        cls = getattr(predefined, name, None)
        if not inspect.isclass(cls) or name in NEEDS_A_MODEL or not issubclass(cls, LocalRecognizer):
            continue
        if wanted is not None and name not in wanted:
            continue
        kwargs = {"supported_language": "en"}
        if cls is predefined.PhoneRecognizer:
            kwargs["supported_regions"] = REGIONS
        registry.add_recognizer(cls(**kwargs))
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "no_op"}])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def main():
    args = argparse.ArgumentParser()
    args.add_argument("corpus")
    args.add_argument("--preset", choices=["default", "all"], default="default")
    args.add_argument("--threshold", type=float, default=0.0)
    a = args.parse_args()
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    analyzer = engine(a.preset)
    names = sorted(r.name for r in analyzer.registry.recognizers)
    print(f"presidio-analyzer {presidio_analyzer.__version__ if hasattr(presidio_analyzer, '__version__') else ''}"
          f" ({a.preset}, threshold {a.threshold}): {len(names)} recognizers", file=sys.stderr)
    with open(a.corpus, encoding="utf-8") as f:
        for raw in f:
            text = json.loads(raw)["text"]
            spans = []
            for r in analyzer.analyze(text=text, language="en", score_threshold=a.threshold):
                start = len(text[:r.start].encode("utf-8"))
                end = len(text[:r.end].encode("utf-8"))
                spans.append({"start": start, "end": end, "entity": r.entity_type,
                              "score": round(float(r.score), 3)})
            sys.stdout.write(json.dumps({"spans": spans}) + "\n")


if __name__ == "__main__":
    main()
