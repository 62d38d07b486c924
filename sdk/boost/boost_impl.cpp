// The one translation unit that compiles Asio, Asio.SSL and Beast (their separate-compilation
// mode, see cmake/vovrest_dependencies.cmake). Everything else includes only their headers.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
