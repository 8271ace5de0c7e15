"""evalcore: measure LLMs on your own task.

`import evalcore` stays light (no litellm, no streamlit): heavy modules load where they are used.
"""

__version__ = "0.1.0"
