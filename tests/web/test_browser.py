"""A real browser (Debian's headless Chromium through selenium) clicks 👎 on the stories page.

With NEWSWATCH_SCREENSHOTS=docs/screenshots it also saves the main pages as PNGs (what the
README shows). Skips, saying why, where chromium or chromedriver is not installed
(`scripts/ensure-services.sh` installs both when it runs as root with apt).
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from shared import store
from shared.db import make_engine
from shared.feedback_tokens import make_token
from tests.web.conftest import SECRET_KEY, WebServer
from tests.web.world import seed

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path(shutil.which("chromedriver") or "/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="headless browser test needs Debian's chromium and chromium-driver "
           "(apt-get install -y chromium chromium-driver)")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    driver.set_window_size(1280, 1000)
    yield driver
    driver.quit()


def _label(db_url: str, article_id: int) -> Any:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        row = store.get_feedback(conn, article_id, "axis")
    engine.dispose()
    return row


def test_thumbs_down_and_an_alert_link_in_the_browser_store_labels(browser: Any, web: WebServer) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    world = seed(web.db_url, history=True)
    browser.get(f"{web.url}/stories")
    assert "Iranian Shahed drones shipped to Russia" in browser.page_source
    button = browser.find_element(By.CSS_SELECTOR, "ul.articles form.vote button.down")
    old_page = browser.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(browser, 15).until(expected_conditions.staleness_of(old_page))
    row = _label(web.db_url, world.articles["hit1"])
    assert row is not None and (row.label, row.source) == ("not-relevant", "web")
    pressed = browser.find_element(By.CSS_SELECTOR, "ul.articles form.vote button.down")
    assert "on" in (pressed.get_attribute("class") or "").split()

    # The link an alert carries: a confirmation page first, the label only after its button.
    near = world.articles["near1"]
    token = make_token(SECRET_KEY, near, "axis", now=store.utcnow(), ttl=timedelta(days=30))
    browser.get(f"{web.url}/feedback/{token}?label=not-relevant")
    assert "Tehran denies arms transfers" in browser.page_source
    assert _label(web.db_url, near) is None
    browser.find_element(By.CSS_SELECTOR, "form.confirm button.primary").click()
    WebDriverWait(browser, 15).until(lambda b: "Thank you" in b.page_source)
    row = _label(web.db_url, near)
    assert row is not None and (row.label, row.source) == ("not-relevant", "link")

    folder = os.environ.get("NEWSWATCH_SCREENSHOTS")
    if folder:
        _screenshots(browser, web.url, Path(folder), world.stories["hit"])


def _screenshots(browser: Any, base: str, folder: Path, story_id: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pages = {"stories": "/stories", "story": f"/stories/{story_id}", "topics": "/topics",
             "feeds": "/feeds", "deliveries": "/deliveries",
             "near-misses": "/stories?band=near"}
    for name, path in pages.items():
        browser.get(base + path)
        _full_page(browser, folder / f"{name}.png", width=1280)
    browser.get(base + "/stories")
    _full_page(browser, folder / "stories-phone.png", width=390, max_height=844)  # a phone


def _full_page(browser: Any, target: Path, *, width: int, max_height: int = 2200) -> None:
    """The page at this width, as tall as its content (capped), through the DevTools protocol."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600})
    height = int(browser.execute_script("return document.documentElement.scrollHeight"))
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": min(max(height, 400), max_height), "deviceScaleFactor": 1,
        "mobile": width < 600})
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    target.write_bytes(base64.b64decode(shot["data"]))
