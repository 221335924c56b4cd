"""Import-heavy: a broad slice of the standard library."""
import argparse, asyncio, csv, decimal, email.mime.multipart, email.parser, http.client, http.server, json  # noqa
import logging.handlers, pathlib, sqlite3, statistics, tarfile, unittest, urllib.request, xml.dom.minidom  # noqa
import xml.etree.ElementTree, zipfile, difflib, inspect, pydoc, configparser, fractions, dataclasses, typing  # noqa
print("imported", len(__import__("sys").modules), "modules")
