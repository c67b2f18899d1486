"""Reading a rendered page as a person would."""

import html
import re
from typing import Any


def page_text(response: Any) -> str:
    """The page's text without tags, entities decoded and white space collapsed."""
    content = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(content).split())
