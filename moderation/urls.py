from django.urls import path

from . import views

app_name = "moderation"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("case/<int:pk>/", views.case_detail, name="case"),
    path("case/<int:pk>/act/", views.act, name="act"),
    path("case/<int:pk>/note/", views.case_note, name="case_note"),
    path("case/<int:pk>/lead/", views.case_pass, name="case_pass"),
    path("report/<int:message_id>/", views.report_message, name="report_message"),
    path("concern/", views.concern_choose, name="concern_choose"),
    path("concern/<slug:slug>/", views.concern, name="concern"),
    path("support/", views.support, name="support"),
    path("terms/", views.terms, name="terms"),
    path("report-illegal/", views.report_illegal, name="report_illegal"),
    path("transparency/", views.transparency, name="transparency"),
    path("risks/", views.risks, name="risks"),
    path("risks/new/", views.risk, name="risk_new"),
    path("risks/<int:pk>/", views.risk, name="risk"),
    path("complaint/", views.complaint, name="complaint"),
    path("complaint/mine/", views.complaint_mine, name="complaint_mine"),
    path("complaints/", views.complaint_list, name="complaint_list"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path("decisions/", views.my_decisions, name="my_decisions"),
    path("decisions/<int:pk>/", views.decision, name="decision"),
    path("appeals/<int:pk>/", views.appeal, name="appeal"),
    path("audit/", views.audit_log, name="audit"),
    path("watchlist/", views.watchlist, name="watchlist"),
    path("helplines/", views.helplines, name="helplines"),
    path("helplines/new/", views.helpline_edit, name="helpline_new"),
    path("helplines/<int:pk>/", views.helpline_edit, name="helpline_edit"),
    path("figures/", views.figures, name="figures"),
    path("closed/resend/", views.closed_account_resend, name="closed_resend"),
    path("closed/<str:token>/", views.closed_account, name="closed"),
]
