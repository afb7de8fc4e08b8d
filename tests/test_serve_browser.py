"""The page of w2v serve in a real browser: headless Chromium driven by Selenium against a
site for the planted model (conftest.planted_model). A screenshot of each view goes to
test-artefacts/serve/ (or $W2V_TEST_ARTEFACTS/serve/); they are not committed."""

import os
import shutil
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium (pip install -e '.[test]')")
from selenium.common.exceptions import (  # noqa: E402
    ElementClickInterceptedException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as seen  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="no headless browser here: the browser tests need Chromium and its driver "
           "(Debian: apt-get install -y chromium chromium-driver; .ci/run installs them)")

ARTEFACTS = Path(os.environ.get("W2V_TEST_ARTEFACTS", Path(__file__).resolve().parent.parent / "test-artefacts")) / "serve"
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--window-size=1280,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def wait_for(browser, css, timeout=10):
    return WebDriverWait(browser, timeout).until(seen.visibility_of_element_located((By.CSS_SELECTOR, css)))


def texts(browser, css):
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, css)]


def click(browser, css):
    """Click the element css finds, finding it again if the page redrew it meanwhile."""
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException, ElementClickInterceptedException)) \
        .until(lambda b: b.find_element(By.CSS_SELECTOR, css).click() or True)


def shot(browser, name):
    browser.save_screenshot(str(ARTEFACTS / f"{name}.png"))


def no_page_errors(browser):
    """Nothing went wrong in the page: no script error, no CSP violation, no failed load
    (a 404 answer the page asked for, for an unknown word, is expected)."""
    errors = [e["message"] for e in browser.get_log("browser")
              if e["level"] == "SEVERE" and "status of 404" not in e["message"]]
    assert errors == []


def test_type_a_word_pick_it_from_autocomplete_and_see_its_neighbours(browser, server):
    browser.get(server.url)
    box = wait_for(browser, "#q")
    box.send_keys("ban")
    option = wait_for(browser, "#suggest li")
    assert texts(browser, "#suggest li") == ["bank", "banking"]
    shot(browser, "autocomplete")
    ActionChains(browser).click(option).perform()
    wait_for(browser, "#lists ol.neighbours li")
    assert texts(browser, "#lists ol.neighbours li a.word")[:3] == ["money", "loan", "credit"]
    assert browser.current_url.endswith("/?word=bank")
    assert browser.find_element(By.CSS_SELECTOR, "#lists ol.neighbours li .bar span").size["width"] > 0
    shot(browser, "neighbours")
    no_page_errors(browser)


def test_deep_link_and_typing_with_enter(browser, server):
    browser.get(server.url + "?word=bank")
    wait_for(browser, "#lists ol.neighbours li")
    assert texts(browser, "#lists ol.neighbours li a.word")[:3] == ["money", "loan", "credit"]
    box = browser.find_element(By.ID, "q")
    box.clear()
    box.send_keys("king woman -man\n")
    WebDriverWait(browser, 10).until(lambda b: "neg=man" in b.current_url)
    wait_for(browser, "#lists ol.neighbours li")
    assert texts(browser, "#lists ol.neighbours li a.word")[0] == "queen"
    no_page_errors(browser)


def test_analogy_form_and_deep_link(browser, server):
    browser.get(server.url)
    wait_for(browser, '#tabs button[data-view="analogy"]').click()
    form = wait_for(browser, "#analogy-form")
    for name, word in (("a", "man"), ("b", "king"), ("c", "woman")):
        form.find_element(By.NAME, name).send_keys(word)
    form.find_element(By.CSS_SELECTOR, "button").click()
    assert wait_for(browser, "#analogy-results .answer").text == "queen"
    shot(browser, "analogy")
    browser.get(server.url + "?a=man&b=king&c=woman")
    assert wait_for(browser, "#analogy-results .answer").text == "queen"
    no_page_errors(browser)


def test_map_hover_click_and_zoom(browser, server):
    browser.get(server.url + "?word=bank&view=map&n=4")  # the planted neighbours only: the fillers would crowd them
    point = wait_for(browser, '#map .point[data-word="money"]')
    assert point.find_element(By.TAG_NAME, "circle") and point.find_element(By.TAG_NAME, "text").text == "money"
    assert browser.find_element(By.CSS_SELECTOR, "#map .point.query").get_attribute("data-word") == "bank"
    shot(browser, "map")
    money = '#map .point[data-word="money"] circle'
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, money)).perform()
    assert wait_for(browser, "#tip").text.startswith("money")
    before = float(browser.find_element(By.ID, "map").get_dom_attribute("viewBox").split()[2])
    click(browser, "#zoom-in")
    after = float(browser.find_element(By.ID, "map").get_dom_attribute("viewBox").split()[2])
    assert after < before  # zoomed in: the view spans less
    click(browser, "#zoom-reset")
    click(browser, money)  # re-centres on money
    WebDriverWait(browser, 10).until(lambda b: "word=money" in b.current_url and "n=4" in b.current_url)
    WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.CSS_SELECTOR, "#map .point.query").get_attribute("data-word") == "money")
    Select(browser.find_element(By.ID, "layout")).select_by_value("tsne")
    WebDriverWait(browser, 10).until(lambda b: "layout=tsne" in b.current_url)
    wait_for(browser, '#map .point[data-word="bank"]')
    no_page_errors(browser)


def test_unknown_word_shows_did_you_mean(browser, server):
    browser.get(server.url + "?word=bnak")
    message = wait_for(browser, "#message.error")
    assert "unknown word" in message.text and "Did you mean bank?" in message.text
    shot(browser, "unknown-word")
    message.find_element(By.LINK_TEXT, "bank").click()
    wait_for(browser, "#lists ol.neighbours li")
    assert texts(browser, "#lists ol.neighbours li a.word")[:3] == ["money", "loan", "credit"]
    no_page_errors(browser)


def test_senses_view(browser, server):
    browser.get(server.url + "?word=bank&view=senses")
    sense = wait_for(browser, "#senses article.sense", timeout=30)
    assert sense.find_element(By.CSS_SELECTOR, ".examples mark").text == "bank"
    assert sense.find_elements(By.CSS_SELECTOR, ".chips a.word")
    shot(browser, "senses")
    no_page_errors(browser)


def test_two_files_side_by_side(browser, two):
    browser.get(two.url + "?word=bank")
    wait_for(browser, ".compare .column ol.neighbours li")
    columns = browser.find_elements(By.CSS_SELECTOR, ".compare .column")
    assert [c.find_element(By.TAG_NAME, "h2").text for c in columns] == ["A: planted.bin", "B: retrained.bin"]
    a = [e.text for e in columns[0].find_elements(By.CSS_SELECTOR, "li a.word")]
    b = [e.text for e in columns[1].find_elements(By.CSS_SELECTOR, "li a.word")]
    assert a[:3] == ["money", "loan", "credit"] and b[:3] == ["river", "shore", "money"]
    changed_b = [e.text for e in columns[1].find_elements(By.CSS_SELECTOR, "li.changed a.word")]
    assert "river" in changed_b and "shore" in changed_b and "money" not in changed_b
    shot(browser, "compare")
    no_page_errors(browser)


def test_phone_screen(browser, server):
    browser.set_window_size(390, 844)
    try:
        for target, name in (("?word=bank", "phone-neighbours"), ("?word=bank&view=map", "phone-map")):
            browser.get(server.url + target)
            wait_for(browser, "#lists ol.neighbours li" if "map" not in target else "#map .point")
            assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
            shot(browser, name)
    finally:
        browser.set_window_size(1280, 900)
