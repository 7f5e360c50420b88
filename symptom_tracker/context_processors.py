from django.conf import settings


def site(request):
    return {"EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER}
