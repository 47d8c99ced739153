"""The piagam penghargaan as a one-page A4 landscape PDF (reportlab), with a QR code to the public verification page."""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas


@dataclass(frozen=True, slots=True)
class Piagam:
    regency: str
    recipient: str
    position: str
    unit: str
    title: str
    period: str
    issued_on: str
    code: str
    verify_url: str


def render(p: Piagam) -> bytes:
    buf = io.BytesIO()
    width, height = landscape(A4)
    c = canvas.Canvas(buf, pagesize=(width, height))
    c.setTitle(f"Piagam Penghargaan {p.code}")
    c.setAuthor(f"BKPSDM {p.regency}")
    c.setStrokeColor(HexColor("#1f4e79"))
    c.setLineWidth(3)
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    c.setLineWidth(1)
    c.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    mid = width / 2
    c.setFillColor(HexColor("#1f4e79"))
    c.setFont("Helvetica-Bold", 14)
    c.drawCentredString(mid, height - 35 * mm, f"PEMERINTAH {p.regency.upper()}")
    c.setFont("Helvetica", 11)
    c.drawCentredString(mid, height - 42 * mm, "BADAN KEPEGAWAIAN DAN PENGEMBANGAN SUMBER DAYA MANUSIA")
    c.setFont("Helvetica-Bold", 30)
    c.drawCentredString(mid, height - 62 * mm, "PIAGAM PENGHARGAAN")
    c.setFillColor(HexColor("#000000"))
    c.setFont("Helvetica", 13)
    c.drawCentredString(mid, height - 76 * mm, "diberikan kepada")
    c.setFont("Helvetica-Bold", 22)
    c.drawCentredString(mid, height - 90 * mm, p.recipient)
    c.setFont("Helvetica", 12)
    c.drawCentredString(mid, height - 99 * mm, f"{p.position} — {p.unit}"[:120])
    c.setFont("Helvetica", 13)
    c.drawCentredString(mid, height - 114 * mm, "atas capaian kinerja")
    c.setFont("Helvetica-Bold", 15)
    c.drawCentredString(mid, height - 123 * mm, f"{p.title} — {p.period}"[:100])
    c.setFont("Helvetica", 11)
    c.drawCentredString(mid, height - 140 * mm, f"Ditetapkan pada {p.issued_on}")
    qr = segno.make(p.verify_url, error="m")
    img = io.BytesIO()
    qr.save(img, kind="png", scale=4, border=1)
    img.seek(0)
    size = 32 * mm
    c.drawImage(ImageReader(img), width - 20 * mm - size, 20 * mm, size, size)
    c.setFont("Helvetica", 9)
    c.drawString(22 * mm, 26 * mm, f"Kode verifikasi: {p.code}")
    c.drawString(22 * mm, 21 * mm, f"Periksa keaslian: {p.verify_url}"[:110])
    c.showPage()
    c.save()
    return buf.getvalue()
