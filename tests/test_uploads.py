"""Uploads split in memory (app/uploads.py), as the digit and photo labs read them."""

from app.uploads import split_multipart

BODY = (b'preamble\r\n--b0undary\r\nContent-Disposition: form-data; name="top"\r\n\r\n3\r\n'
        b'--b0undary\r\nContent-Disposition: form-data; name="image"; filename="x.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\r\n--b0und\xff\xd9\r\n--b0undary--\r\n")


def test_fields_and_files_are_split_and_a_boundary_lookalike_inside_a_file_is_kept():
    fields = split_multipart(BODY, 'multipart/form-data; boundary="b0undary"')
    assert fields == {"top": (b"3", False), "image": (b"\xff\xd8\r\n--b0und\xff\xd9", True)}


def test_a_cut_off_or_foreign_body_is_refused():
    for broken in (BODY[:-30], b"no boundaries here"):
        assert split_multipart(broken, "multipart/form-data; boundary=b0undary") is None
    assert split_multipart(BODY, "application/json") is None  # not multipart at all


def test_at_most_max_fields_are_read():
    many = b"".join(b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % i for i in range(50)) + b"--b--\r\n"
    assert split_multipart(many, "multipart/form-data; boundary=b", max_fields=5) is None
    assert len(split_multipart(many, "multipart/form-data; boundary=b", max_fields=60)) == 50
