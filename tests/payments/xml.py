"""Reading a bank file in tests independently of the writer: lxml and local-name XPath."""

from lxml import etree


def texts(content: bytes, path: str) -> list[str]:
    """The text of every element at ``path`` (``Cdtr/Nm``: steps by local name, anywhere)."""
    steps = "/".join(f"*[local-name()='{step}']" for step in path.split("/"))
    found = etree.fromstring(content).xpath(f"//{steps}")
    assert isinstance(found, list)
    return [element.text or "" for element in found if isinstance(element, etree._Element)]


def attributes(content: bytes, path: str, name: str) -> list[str]:
    steps = "/".join(f"*[local-name()='{step}']" for step in path.split("/"))
    found = etree.fromstring(content).xpath(f"//{steps}")
    assert isinstance(found, list)
    return [str(e.get(name)) for e in found if isinstance(e, etree._Element)]
