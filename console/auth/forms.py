"""Sign-in form."""
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from console.forms import ConsoleForm


class LoginForm(ConsoleForm):
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
