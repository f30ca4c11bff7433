#!/usr/bin/env bash
# Records the API bundle as built now as the released API VERSION, in this folder (a Maven
# repository layout). bnd baselining (bundles/api/pom.xml) compares every build of the API with the
# newest release here and fails when a package changed without the matching @Version bump.
# Usage: cnf/release/freeze-api.sh 1.0.0   (after `mvn -pl bundles/api -am package -Dbnd.baseline.skip`)
set -euo pipefail
version="${1:?usage: freeze-api.sh VERSION}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
built="$(ls "$root"/bundles/api/target/osprey-api-*.jar | head -1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# the released bundle carries its release version, not the snapshot's
(cd "$work" && unzip -q "$built" && sed -i "s/^Bundle-Version: .*/Bundle-Version: $version/" META-INF/MANIFEST.MF \
  && jar cfm "$work/osprey-api-$version.jar" META-INF/MANIFEST.MF -C "$work" dev)
mvn -q deploy:deploy-file -Durl="file://$here" -DrepositoryId=osprey-release \
  -Dfile="$work/osprey-api-$version.jar" -DgroupId=dev.osprey -DartifactId=osprey-api \
  -Dversion="$version" -Dpackaging=jar -DgeneratePom=true
echo "released osprey-api $version into $here"
