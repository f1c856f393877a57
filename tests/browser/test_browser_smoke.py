def test_the_home_page_renders_without_javascript(page_without_js):
    page_without_js.goto("/")
    assert page_without_js.locator("h1").count() == 1


def test_the_home_page_passes_axe(page, assert_accessible):
    page.goto("/")
    assert_accessible(page)
