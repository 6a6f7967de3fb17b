import CellTrackCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns the user's INPUT arguments into an ordered list of TIFF files.
///
/// - a file is taken as given;
/// - a folder contributes its `.tif`/`.tiff` files (case-insensitive, hidden files skipped) in
///   natural order (`t2` before `t10`); other files are ignored;
/// - anything else containing `*`, `?` or `[` is a glob pattern; its matching regular files are
///   taken in natural order.
///
/// ```swift
/// let files = try InputFiles.resolve(["movie/", "extra_*.tif"])
/// ```
public enum InputFiles {
    public static func resolve(_ inputs: [String]) throws -> [String] {
        guard !inputs.isEmpty else { throw InputError(problem: "no input given") }
        var files: [String] = []
        for input in inputs {
            files.append(contentsOf: try resolveOne(input))
        }
        return files
    }

    static func resolveOne(_ input: String) throws -> [String] {
        var info = stat()
        if stat(input, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR { return try listFolder(input) }
            return [input]
        }
        if input.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) {
            let matches = globFiles(input)
            if matches.isEmpty { throw InputError(file: input, problem: "no file matches this pattern") }
            return matches
        }
        throw InputError(file: input, problem: "no such file or folder")
    }

    static func listFolder(_ folder: String) throws -> [String] {
        guard let directory = opendir(folder) else {
            throw InputError(file: folder, problem: "cannot read folder (\(String(cString: strerror(errno))))")
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard !name.hasPrefix("."), isTIFFName(name) else { continue }
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            names.append(name)
        }
        if names.isEmpty { throw InputError(file: folder, problem: "folder contains no .tif or .tiff files") }
        names.sort(by: naturalOrder)
        return names.map { folder.hasSuffix("/") ? folder + $0 : folder + "/" + $0 }
    }

    static func isTIFFName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasSuffix(".tif") || lower.hasSuffix(".tiff")
    }

    static func globFiles(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            guard let cPath = result.gl_pathv[index] else { continue }
            let path = String(cString: cPath)
            var info = stat()
            if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { paths.append(path) }
        }
        return paths.sorted(by: naturalOrder)
    }

    /// Natural order: digit runs compare as numbers (`t2` < `t10`); ties fall back to plain
    /// byte order so the result never depends on the listing order.
    public static func naturalOrder(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        var i = 0, j = 0
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        while i < left.count && j < right.count {
            if isDigit(left[i]) && isDigit(right[j]) {
                var iEnd = i, jEnd = j
                while iEnd < left.count && isDigit(left[iEnd]) { iEnd += 1 }
                while jEnd < right.count && isDigit(right[jEnd]) { jEnd += 1 }
                // Compare the numbers without leading zeros: longer is larger, else digit by digit.
                var iStart = i, jStart = j
                while iStart < iEnd - 1 && left[iStart] == 48 { iStart += 1 }
                while jStart < jEnd - 1 && right[jStart] == 48 { jStart += 1 }
                let leftLength = iEnd - iStart, rightLength = jEnd - jStart
                if leftLength != rightLength { return leftLength < rightLength }
                for k in 0..<leftLength where left[iStart + k] != right[jStart + k] {
                    return left[iStart + k] < right[jStart + k]
                }
                i = iEnd
                j = jEnd
            } else {
                if left[i] != right[j] { return left[i] < right[j] }
                i += 1
                j += 1
            }
        }
        if (left.count - i) != (right.count - j) { return (left.count - i) < (right.count - j) }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
