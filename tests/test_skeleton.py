def test_it_answers_healthz_with_nothing_but_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_staff_home_shows_the_roles_of_the_signed_in_person(sign_in, clinician_a):
    response = sign_in(clinician_a).get("/staff/")
    assert response.status_code == 200
    assert b"Centre A" in response.content
    assert b"Clinician" in response.content
