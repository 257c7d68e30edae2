"""What operators watch Telepasar by: its Prometheus metrics, counted where each fact is known."""
