"""Large archives of reviews: Parquet in and out (``parquet``, the 'parquet' extra) and Ray Data
actors for a cluster (``distributed``, the 'ray' extra). Both stream in record batches, so memory
stays flat in the archive's size; pyarrow and Ray are imported only when used.
"""
