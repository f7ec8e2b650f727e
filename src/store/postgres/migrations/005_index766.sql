-- 005: the Decision 766/QĐ-TTg service index (issue 5). Points, thresholds
-- and formulas are data, versioned by the date from which they apply (the
-- national portal has changed the split before); values our data cannot
-- compute are entered by hand per unit and period.
--
-- PostgreSQL port of src/store/sqlite/migrations/005_index766.sql; the
-- same 21 rows of the 766-2022 configuration and the same meta row.
-- Differs from SQLite only in the representation (README.md): REAL is
-- double precision, text COLLATE "C", bigint instants, integer ord.

CREATE TABLE index766_config (
    version      text COLLATE "C" NOT NULL,   -- e.g. '766-2022'
    valid_from   text COLLATE "C" NOT NULL,   -- YYYY-MM-DD: periods ending on or after it use it
    ord          integer NOT NULL,
    group_code   text COLLATE "C" NOT NULL,
    group_name   text COLLATE "C" NOT NULL,
    code         text COLLATE "C" NOT NULL,
    name         text COLLATE "C" NOT NULL,
    max_points   double precision NOT NULL CHECK (max_points >= 0),
    threshold    double precision CHECK (threshold IS NULL OR (threshold > 0 AND threshold <= 100)),
    formula      text COLLATE "C" NOT NULL,   -- see docs/KPIS.md; 'manual' = entered by hand
    PRIMARY KEY (valid_from, code)
);

CREATE TABLE index766_manual (
    unit       text COLLATE "C" NOT NULL,
    date_from  text COLLATE "C" NOT NULL,
    date_to    text COLLATE "C" NOT NULL,
    code       text COLLATE "C" NOT NULL,
    value      double precision NOT NULL CHECK (value >= 0 AND value <= 100),  -- a percentage
    note       text COLLATE "C" NOT NULL DEFAULT '',
    entered_by text COLLATE "C" NOT NULL,
    entered_at bigint NOT NULL,
    PRIMARY KEY (unit, date_from, date_to, code)
);

INSERT INTO index766_config(version, valid_from, ord, group_code, group_name, code, name, max_points, threshold, formula) VALUES
 ('766-2022', '2022-06-23', 1,  'transparency', 'Công khai, minh bạch', 'publish_on_time', 'Công bố, công khai TTHC đúng hạn', 6, NULL, 'manual'),
 ('766-2022', '2022-06-23', 2,  'transparency', 'Công khai, minh bạch', 'national_db_on_time', 'Cập nhật TTHC lên CSDL quốc gia đúng hạn', 4, NULL, 'manual'),
 ('766-2022', '2022-06-23', 3,  'transparency', 'Công khai, minh bạch', 'complete_content', 'Công khai đầy đủ nội dung TTHC', 2, NULL, 'manual'),
 ('766-2022', '2022-06-23', 4,  'transparency', 'Công khai, minh bạch', 'synced_to_portal', 'Đồng bộ hồ sơ lên Cổng Dịch vụ công quốc gia', 6, NULL, 'manual'),
 ('766-2022', '2022-06-23', 5,  'timeliness', 'Tiến độ giải quyết', 'on_time', 'Hồ sơ giải quyết trước hạn, đúng hạn', 20, NULL, 'on_time'),
 ('766-2022', '2022-06-23', 6,  'online', 'Dịch vụ công trực tuyến', 'procedures_online', 'TTHC cung cấp dịch vụ công trực tuyến', 2, 80, 'procedures_online'),
 ('766-2022', '2022-06-23', 7,  'online', 'Dịch vụ công trực tuyến', 'online_services_used', 'Dịch vụ công trực tuyến có phát sinh hồ sơ', 4, NULL, 'online_services_used'),
 ('766-2022', '2022-06-23', 8,  'online', 'Dịch vụ công trực tuyến', 'online_share', 'Hồ sơ nộp trực tuyến', 6, 50, 'online_share'),
 ('766-2022', '2022-06-23', 9,  'payment', 'Thanh toán trực tuyến', 'payment_integrated', 'TTHC có phí tích hợp thanh toán trực tuyến', 2, 80, 'manual'),
 ('766-2022', '2022-06-23', 10, 'payment', 'Thanh toán trực tuyến', 'payment_used', 'TTHC có phí phát sinh giao dịch thanh toán trực tuyến', 2, 80, 'payment_used'),
 ('766-2022', '2022-06-23', 11, 'payment', 'Thanh toán trực tuyến', 'paid_online', 'Hồ sơ thanh toán trực tuyến', 6, NULL, 'paid_online'),
 ('766-2022', '2022-06-23', 12, 'satisfaction', 'Mức độ hài lòng', 'feedback_on_time', 'Phản ánh, kiến nghị được xử lý đúng hạn', 6, NULL, 'manual'),
 ('766-2022', '2022-06-23', 13, 'satisfaction', 'Mức độ hài lòng', 'feedback_satisfaction', 'Hài lòng về xử lý phản ánh, kiến nghị', 6, NULL, 'manual'),
 ('766-2022', '2022-06-23', 14, 'satisfaction', 'Mức độ hài lòng', 'dossier_satisfaction', 'Hài lòng về giải quyết TTHC', 6, 90, 'satisfaction'),
 ('766-2022', '2022-06-23', 15, 'digitisation', 'Số hóa hồ sơ', 'e_results', 'Cấp kết quả giải quyết TTHC điện tử', 6, NULL, 'manual'),
 ('766-2022', '2022-06-23', 16, 'digitisation', 'Số hóa hồ sơ', 'digitised', 'Số hóa hồ sơ, kết quả giải quyết TTHC', 4, 80, 'digitised'),
 ('766-2022', '2022-06-23', 17, 'digitisation', 'Số hóa hồ sơ', 'e_copies', 'Cấp bản sao điện tử có chứng thực', 2, NULL, 'manual'),
 ('766-2022', '2022-06-23', 18, 'digitisation', 'Số hóa hồ sơ', 'reuse', 'Khai thác, sử dụng lại thông tin, dữ liệu số hóa', 2, 80, 'manual'),
 ('766-2022', '2022-06-23', 19, 'digitisation', 'Số hóa hồ sơ', 'personal_store', 'Kết nối kho dữ liệu cá nhân', 4, NULL, 'manual'),
 ('766-2022', '2022-06-23', 20, 'digitisation', 'Số hóa hồ sơ', 'population_db_auth', 'Xác thực qua CSDL quốc gia về dân cư', 2, NULL, 'manual'),
 ('766-2022', '2022-06-23', 21, 'digitisation', 'Số hóa hồ sơ', 'population_db_reuse', 'Khai thác dữ liệu từ CSDL quốc gia về dân cư', 2, NULL, 'manual');

-- the smallest number of dossiers a unit must have handled in the period to be ranked
INSERT INTO meta(key, value) VALUES ('index766_min_volume', 30);
