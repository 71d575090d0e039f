"""ConsoleForm, the base of every form: NULs removed, no JSON bodies, and files only for the file fields it declares."""
import io

from flask_wtf.form import _Auto
from wtforms import FileField, StringField

from console.forms import ConsoleForm


class UploadForm(ConsoleForm):
    class Meta:
        csrf = False

    name = StringField()
    upload = FileField()


class TextForm(ConsoleForm):
    class Meta:
        csrf = False

    name = StringField()


def test_an_upload_form_gets_its_file_and_its_text_without_nul(app):
    data = {"name": "li\x00st", "upload": (io.BytesIO(b"phone\n+12125550101\n"), "list.csv")}
    with app.test_request_context("/", method="POST", data=data, content_type="multipart/form-data"):
        form = UploadForm()
        assert form.name.data == "list"
        assert form.upload.data.filename == "list.csv"
        assert form.upload.data.read() == b"phone\n+12125550101\n"


def test_a_form_without_file_fields_never_sees_uploaded_files(app):
    data = {"name": "x", "upload": (io.BytesIO(b"data"), "list.csv")}
    with app.test_request_context("/", method="POST", data=data, content_type="multipart/form-data"):
        form = TextForm()
        assert form.name.data == "x"
        assert "upload" not in form.meta.wrap_formdata(form, _Auto)


def test_a_json_body_is_not_read_as_form_fields(app):
    with app.test_request_context("/", method="POST", json={"name": "from json"}):
        assert TextForm().name.data is None
