"""AI Playground (函數學習機): a hands-on deep-learning playground for the classroom."""
