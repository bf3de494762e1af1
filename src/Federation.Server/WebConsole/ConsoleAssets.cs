using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Federation.Simulator;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Federation.Server.WebConsole;

/// <summary>
/// The web console: the files under <c>wwwroot/</c>, embedded in this assembly (so a build, a publish and a test host
/// serve the same bytes with nothing to copy), served at <c>/</c>. The console is a page of plain ES modules that
/// calls the REST API and <c>/api/live</c>; nothing is fetched from outside the server.
/// </summary>
public static class ConsoleAssets
{
    /// <summary>
    /// What the console's pages may load: only this server (scripts, styles, images, the API and the live feed).
    /// A script injected through data would not run. The what-if report is read with the tab's token and shown from a
    /// blob URL (a frame or a link sends no token), and a blob document inherits this policy: hence <c>blob:</c> frames
    /// and, by its hash, the report's own stylesheet and no other inline style.
    /// </summary>
    public static string ContentSecurityPolicy { get; } =
        "default-src 'self'; script-src 'self'; "
        + $"style-src 'self' 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(ReportWriter.Stylesheet)))}'; "
        + "img-src 'self' data:; connect-src 'self'; frame-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

    /// <summary>The embedded files, rooted at <c>wwwroot</c>.</summary>
    public static IFileProvider Files { get; } = new ManifestEmbeddedFileProvider(typeof(ConsoleAssets).Assembly, "wwwroot");

    /// <summary>Serves <c>/</c> (index.html) and the console's assets; must run before the endpoints are mapped.</summary>
    public static WebApplication UseConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = Files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = Files,
            ContentTypeProvider = new FileExtensionContentTypeProvider(),
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;

                // Revalidated on every load (ETag/Last-Modified make that a 304): a new server version is never
                // shown with an old script.
                headers[HeaderNames.CacheControl] = "no-cache";
                headers[HeaderNames.XContentTypeOptions] = "nosniff";
                if (context.File.Name.EndsWith(".html", StringComparison.Ordinal))
                {
                    headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
                    headers["Referrer-Policy"] = "no-referrer";
                }
            },
        });
        return app;
    }
}
