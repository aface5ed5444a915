"""The monitor's status page in a real headless Chromium: a firing alert shows, the page is not blank."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from scripts.sfops.monitoring.state import load
from scripts.sfops.monitoring.statuspage import StatusServer
from tests.integration.sfops.conftest import Site
from tests.integration.sfops.test_monitor import Cron

pytestmark = pytest.mark.integration
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def test_status_page_shows_a_firing_alert_in_the_browser(site: Site, tmp_path: Path) -> None:
    if not Path(CHROMEDRIVER).exists():
        pytest.fail("chromium-driver is not installed: run `make setup-system`")
    cron = Cron(site, tmp_path / "monitor.json")
    site.overrides(homepage_status=503)
    cron.run("--fail-after", "2", cycles=3)
    assert load(cron.state_file).alerts.firing() == ["homepage"]
    server = StatusServer(0, cron.state_file, "Sound Factory monitor (it)", hours=1, refresh_s=60)
    server.start()
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        driver.get(server.url)
        alert = driver.find_element(By.CSS_SELECTOR, "#alerts li.firing")
        assert alert.text.startswith("homepage firing since")
        state = driver.find_element(By.CSS_SELECTOR, 'tr[data-check="homepage"] td.down')
        assert state.text == "down"
        # The stylesheet loaded under the page's strict CSP: "down" is red.
        assert state.value_of_css_property("color") == "rgba(217, 48, 37, 1)"
        assert driver.find_element(By.ID, "latency-chart").is_displayed()
        image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("L")
        (tmp_path / "status.png").write_bytes(driver.get_screenshot_as_png())
        # Not blank: a page of text, table rules and a chart has many shades, far apart.
        assert len(image.getcolors(maxcolors=65536) or []) > 20
        assert ImageStat.Stat(image).stddev[0] > 10
    finally:
        driver.quit()
        server.shutdown()
