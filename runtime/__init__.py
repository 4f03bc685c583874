"""What every job runs on: Spark session, errors, progress lines, MLflow tracking."""
