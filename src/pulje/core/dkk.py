"""Danish kroner as text, without Django: shared by the web app and the pure allocation solver."""

ORE_PER_KRONE = 100


def format_dkk(ore: int, *, always_ore: bool = False) -> str:
    """Format øre as Danish kroner: ``1250050`` → ``12.500,50 kr.``; whole kroner drop ``,00``."""
    sign = "-" if ore < 0 else ""
    kroner, rest = divmod(abs(ore), ORE_PER_KRONE)
    grouped = f"{kroner:,}".replace(",", ".")
    if rest or always_ore:
        return f"{sign}{grouped},{rest:02d} kr."
    return f"{sign}{grouped} kr."
