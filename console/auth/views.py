"""Sign in and sign out."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from console.auth import services
from console.auth.forms import LoginForm
from console.security import login_required_for_all, public, same_site_redirect

blueprint = Blueprint("auth", __name__)


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        except services.TooManyAttempts:
            form.form_errors.append("Too many failed sign-ins. Wait 15 minutes or ask an admin.")
            status = 429
        else:
            if user is None:
                form.form_errors.append("Email or password is not right.")
                status = 401
            else:
                login_user(user)
                return redirect(same_site_redirect(request.args.get("next"), url_for("home")), code=303)
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@blueprint.post("/logout")
@login_required_for_all
def logout():
    services.sign_out(current_user._get_current_object())
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"), code=303)
