from django import forms

from ..models import Question


class QuestionForm(forms.ModelForm):
    """A question of the patient's own for their next appointment."""

    class Meta:
        model = Question
        fields = ["text"]
        labels = {"text": "Your question"}
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}
        error_messages = {
            "text": {
                "required": "Write your question in the box first.",
                "max_length": "Please keep your question shorter: at most %(limit_value)d "
                "characters (it has %(show_value)d).",
            }
        }


class AnswerForm(forms.ModelForm):
    """What the patient was told, noted beside the question."""

    class Meta:
        model = Question
        fields = ["answer"]
        labels = {"answer": "What you were told (optional)"}
        widgets = {"answer": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "answer": {
                "max_length": "Please keep the note shorter: at most %(limit_value)d "
                "characters (it has %(show_value)d).",
            }
        }
