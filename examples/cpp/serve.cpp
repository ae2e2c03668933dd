// The stdin scorer of examples/c/serve.c through small RAII wrappers: handles are freed by
// destructors, failures become exceptions carrying afme_last_error().
#include "afme.h"
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace afme {

struct Error : std::runtime_error {
    afme_status status;
    Error(afme_status s, const char *msg) : std::runtime_error(msg), status(s) {}
};

inline void check(afme_status s) {
    if (s != AFME_OK) throw Error(s, afme_last_error());
}

struct ModelDeleter { void operator()(afme_model *m) const { afme_model_free(m); } };

class Model {
  public:
    static Model load(const std::string &path) {
        afme_model *m = nullptr;
        check(afme_model_load(path.c_str(), &m));
        return Model(m);
    }
    float score(int64_t h, int64_t r, int64_t t) const {
        int64_t triple[3] = {h, r, t};
        float s = 0;
        check(afme_model_score(m_.get(), triple, 1, &s));
        return s;
    }
    std::vector<std::pair<int64_t, float>> topk(int64_t entity, int64_t relation, afme_direction dir, int64_t k) const {
        std::vector<int64_t> ids(static_cast<size_t>(k));
        std::vector<float> scores(static_cast<size_t>(k));
        int64_t n = 0;
        check(afme_model_topk(m_.get(), entity, relation, dir, k, nullptr, ids.data(), scores.data(), &n));
        std::vector<std::pair<int64_t, float>> out;
        for (int64_t i = 0; i < n; i++) out.emplace_back(ids[static_cast<size_t>(i)], scores[static_cast<size_t>(i)]);
        return out;
    }

  private:
    explicit Model(afme_model *m) : m_(m) {}
    std::unique_ptr<afme_model, ModelDeleter> m_;
};

}  // namespace afme

int main(int argc, char **argv) {
    if (argc < 2) { std::cerr << "usage: " << argv[0] << " MODEL.afme [K]\n"; return 2; }
    const int64_t k = argc > 2 ? std::stoll(argv[2]) : 5;
    try {
        const afme::Model model = afme::Model::load(argv[1]);
        std::string line;
        while (std::getline(std::cin, line)) {
            std::istringstream in(line);
            std::string a, b, c;
            if (!(in >> a >> b >> c)) { if (!line.empty()) std::cout << "error: expected three fields\n"; continue; }
            try {
                if (a == "?" || c == "?") {
                    const bool tail = c == "?";
                    const auto best = model.topk(std::stoll(tail ? a : c), std::stoll(b), tail ? AFME_PREDICT_TAIL : AFME_PREDICT_HEAD, k);
                    std::cout << (tail ? "tails:" : "heads:");
                    for (const auto &p : best) std::cout << ' ' << p.first << '(' << p.second << ')';
                    std::cout << '\n';
                } else {
                    const float s = model.score(std::stoll(a), std::stoll(b), std::stoll(c));
                    std::cout << "score: " << s << '\n';
                }
            } catch (const afme::Error &e) {
                std::cout << "error: " << e.what() << '\n';
            } catch (const std::exception &) {
                std::cout << "error: ids must be integers\n";
            }
        }
    } catch (const afme::Error &e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
    return 0;
}
